package io.fanwire.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.fanwire.protocol.v1.Message;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One Kafka record as a subscription delivers it. Immutable, except that {@link #data()} is computed on first
 * use; safe to hand to other threads.
 */
public final class FanwireMessage {

    private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private final Message message;
    private final String subscription;
    private volatile Object data; // String JSON text, NO_DATA, or null when not computed yet

    private static final Object NO_DATA = new Object();

    FanwireMessage(Message message, String subscription) {
        this.message = message;
        this.subscription = subscription;
    }

    /** {@code TOPIC/KEY} for a keyed record, {@code TOPIC} for a keyless one. */
    public String channel() {
        return message.getChannel();
    }

    /** The channel of the {@link Subscription} this message was delivered to (it may be the topic). */
    public String subscription() {
        return subscription;
    }

    /** The record key as UTF-8 text, or null for a keyless record. */
    public String key() {
        return message.getKey().isEmpty() ? null : message.getKey();
    }

    public int partition() {
        return message.getPartition();
    }

    public long offset() {
        return message.getOffset();
    }

    /** The Kafka record timestamp, milliseconds since the epoch. */
    public long timestamp() {
        return message.getTimestamp();
    }

    /** True for a last value sent first by a {@code snapshot} subscribe; false for every live record. */
    public boolean snapshot() {
        return message.getSnapshot();
    }

    /** Kafka record headers, values as UTF-8; unmodifiable. */
    public Map<String, String> headers() {
        return message.getHeadersMap();
    }

    /**
     * The record value, a new array each call. For a record the gateway sent as JSON {@code data}: the UTF-8 of
     * the string for a JSON string, else the UTF-8 of the JSON text.
     */
    public byte[] payload() {
        if (message.hasData()) {
            Value value = message.getData();
            String text = value.getKindCase() == Value.KindCase.STRING_VALUE ? value.getStringValue() : data();
            return text.getBytes(StandardCharsets.UTF_8);
        }
        return message.getPayload().toByteArray();
    }

    /** {@link #payload()} decoded as UTF-8. */
    public String payloadString() {
        if (message.hasData() && message.getData().getKindCase() == Value.KindCase.STRING_VALUE) {
            return message.getData().getStringValue();
        }
        return message.hasData() ? data() : message.getPayload().toStringUtf8();
    }

    /**
     * The record as JSON text: the {@code data} the gateway sent (JSON topics on {@code fanwire.v1.json}), else the
     * payload when it is valid UTF-8 JSON, else null. Parse it with the JSON library of your choice.
     */
    public String data() {
        Object d = data;
        if (d == null) {
            d = computeData();
            data = d;
        }
        return d == NO_DATA ? null : (String) d;
    }

    /** {@link #data()} as a protobuf {@link Value} (null when there is none). */
    public Value dataValue() {
        if (message.hasData()) {
            return message.getData();
        }
        String text = data();
        if (text == null) {
            return null;
        }
        Value.Builder builder = Value.newBuilder();
        try {
            PARSER.merge(text, builder);
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
        return builder.build();
    }

    private Object computeData() {
        try {
            if (message.hasData()) {
                return JSON.print(message.getData());
            }
            if (message.getPayload().isEmpty() || !message.getPayload().isValidUtf8()) {
                return NO_DATA;
            }
            String text = message.getPayload().toStringUtf8();
            return JsonCheck.isJson(text) ? text : NO_DATA;
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return NO_DATA;
        }
    }

    /** The protocol message as received. */
    public Message toProto() {
        return message;
    }

    @Override
    public String toString() {
        return "FanwireMessage{" + channel() + " " + partition() + "@" + offset() + (snapshot() ? " snapshot" : "")
                + ", " + payloadString().length() + " chars}";
    }
}
