package io.fanwire.gateway.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.fanwire.protocol.v1.Error;
import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Ok;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribed;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Builds and encodes server frames.
 *
 * <p>Two paths. Replies, rare and per connection, become ordinary {@link WebSocketFrame}s that the
 * pipeline's WebSocket encoder frames. Records, written to many connections, are encoded ONCE into a
 * complete WebSocket frame (header included) by {@link #encodeProto} / {@link #encodeJson}: server frames
 * are unmasked, so the same bytes suit every client, and the result is written as a shared buffer that
 * passes the WebSocket encoder untouched.
 *
 * <p>Thread-safe and stateless. Every returned buffer belongs to the caller.
 */
public final class ServerFrames {

    private static final JsonFormat.Printer JSON_PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final int OPCODE_TEXT = 0x1;
    private static final int OPCODE_BINARY = 0x2;
    private static final int FIN = 0x80;

    private ServerFrames() {
    }

    /**
     * The {@code Message} frame for a Kafka record of a served topic. A record with a null or empty key is
     * keyless: its channel is the bare topic (a {@code TOPIC/} channel could not be subscribed to).
     */
    public static ServerFrame message(ConsumerRecord<byte[], byte[]> record) {
        Message.Builder message = Message.newBuilder()
                .setPartition(record.partition())
                .setOffset(record.offset())
                .setTimestamp(record.timestamp());
        if (record.key() == null || record.key().length == 0) {
            message.setChannel(record.topic());
        } else {
            String key = new String(record.key(), StandardCharsets.UTF_8);
            message.setChannel(record.topic() + '/' + key).setKey(key);
        }
        if (record.value() != null) {
            message.setPayload(ByteString.copyFrom(record.value()));
        }
        for (Header header : record.headers()) {
            message.putHeaders(header.key(),
                    header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8));
        }
        return ServerFrame.newBuilder().setMessage(message).build();
    }

    public static ServerFrame subscribed(long id) {
        return reply(Reply.newBuilder().setId(id).setSubscribed(Subscribed.getDefaultInstance()));
    }

    /** {@code subscribed}, with where live delivery starts in each partition. */
    public static ServerFrame subscribed(long id, List<Position> positions) {
        return reply(Reply.newBuilder().setId(id).setSubscribed(Subscribed.newBuilder().addAllPositions(positions)));
    }

    public static ServerFrame ok(long id) {
        return reply(Reply.newBuilder().setId(id).setOk(Ok.getDefaultInstance()));
    }

    public static ServerFrame error(long id, ErrorCode code, String text) {
        return reply(Reply.newBuilder().setId(id)
                .setError(Error.newBuilder().setCode(code.name()).setMessage(text)));
    }

    /** Records {@code fromOffset..toOffset} (inclusive) of {@code channel}'s partition will not be delivered. */
    public static ServerFrame gap(String channel, int partition, long fromOffset, long toOffset, String reason) {
        return ServerFrame.newBuilder().setGap(Gap.newBuilder().setChannel(channel).setPartition(partition)
                .setFromOffset(fromOffset).setToOffset(toOffset).setReason(reason)).build();
    }

    private static ServerFrame reply(Reply.Builder reply) {
        return ServerFrame.newBuilder().setReply(reply).build();
    }

    /** A reply or other per-connection frame as a WebSocket frame for the pipeline's encoder. */
    public static WebSocketFrame toWebSocketFrame(ServerFrame frame, Subprotocol protocol, ByteBufAllocator alloc) {
        return switch (protocol) {
            case PROTO -> {
                byte[] bytes = frame.toByteArray();
                yield new BinaryWebSocketFrame(alloc.buffer(bytes.length).writeBytes(bytes));
            }
            case JSON -> {
                byte[] bytes = json(frame);
                yield new TextWebSocketFrame(alloc.buffer(bytes.length).writeBytes(bytes));
            }
        };
    }

    /** {@code frame} as one complete, unmasked binary WebSocket frame: header and protobuf body. */
    public static ByteBuf encodeProto(ServerFrame frame, ByteBufAllocator alloc) {
        int size = frame.getSerializedSize();
        ByteBuf buf = alloc.directBuffer(headerLength(size) + size);
        writeHeader(buf, FIN | OPCODE_BINARY, size);
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(buf.nioBuffer(buf.writerIndex(), size));
            frame.writeTo(out);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            buf.release();
            throw new UncheckedIOException(e);
        }
        buf.writerIndex(buf.writerIndex() + size);
        return buf;
    }

    /**
     * {@code frame} as one complete WebSocket frame for {@code protocol}, in a heap array: for frames kept and
     * shared by many connections (snapshot values, replayed records), which outlive any pooled buffer.
     */
    public static byte[] encodeToArray(ServerFrame frame, Subprotocol protocol, PayloadFormats formats) {
        ByteBuf buf = protocol == Subprotocol.PROTO
                ? encodeProto(frame, ByteBufAllocator.DEFAULT)
                : encodeJson(frame, formats, ByteBufAllocator.DEFAULT);
        try {
            // Copied out of the pooled buffer the encoder writes, which goes back to the pool at once.
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** {@code frame} as one complete, unmasked text WebSocket frame: header and proto3 JSON body. */
    public static ByteBuf encodeJson(ServerFrame frame, ByteBufAllocator alloc) {
        return encodeJson(frame, PayloadFormats.none(), alloc);
    }

    /**
     * As {@link #encodeJson(ServerFrame, ByteBufAllocator)}; a {@code Message} of a topic that {@code formats}
     * names {@code json} or {@code text} carries its value as {@code "data"} instead of {@code "payload"} when the
     * value fits the format (else base64 as usual, counted in {@link PayloadFormats#fallbacks()}).
     */
    public static ByteBuf encodeJson(ServerFrame frame, PayloadFormats formats, ByteBufAllocator alloc) {
        byte[] body = json(frame, formats);
        ByteBuf buf = alloc.directBuffer(headerLength(body.length) + body.length);
        writeHeader(buf, FIN | OPCODE_TEXT, body.length);
        return buf.writeBytes(body);
    }

    private static byte[] json(ServerFrame frame, PayloadFormats formats) {
        if (!frame.hasMessage() || formats.named().isEmpty()) {
            return json(frame);
        }
        Message message = frame.getMessage();
        PayloadFormat format = formats.of(topicOf(message));
        if (format == PayloadFormat.BYTES || message.getPayload().isEmpty()) {
            return json(frame);
        }
        byte[] data = JsonPayloads.data(message, format);
        if (data == null) {
            formats.fellBack();
            return json(frame);
        }
        // {"message":{...}} without the payload, then ,"data":VALUE spliced in before the closing }}. The channel
        // is never empty, so the inner object has a member before the comma.
        byte[] head = json(ServerFrame.newBuilder().setMessage(message.toBuilder().clearPayload()).build());
        byte[] member = ",\"data\":".getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[head.length + member.length + data.length];
        int at = head.length - 2;
        System.arraycopy(head, 0, body, 0, at);
        System.arraycopy(member, 0, body, at, member.length);
        System.arraycopy(data, 0, body, at + member.length, data.length);
        body[body.length - 2] = '}';
        body[body.length - 1] = '}';
        return body;
    }

    /** The topic of a {@code Message}: its channel up to the first slash (topic names have none). */
    public static String topicOf(Message message) {
        String channel = message.getChannel();
        int slash = channel.indexOf('/');
        return slash < 0 ? channel : channel.substring(0, slash);
    }

    private static byte[] json(ServerFrame frame) {
        try {
            return JSON_PRINTER.print(frame).getBytes(StandardCharsets.UTF_8);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("ServerFrame has no JSON form", e);
        }
    }

    /** The length of an unmasked frame header for a payload of {@code payloadLength} bytes. */
    static int headerLength(int payloadLength) {
        return payloadLength <= 125 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    }

    /** Writes an unmasked frame header: {@code firstByte} (FIN, RSV bits, opcode), then the payload length. */
    static void writeHeader(ByteBuf buf, int firstByte, int payloadLength) {
        buf.writeByte(firstByte);
        if (payloadLength <= 125) {
            buf.writeByte(payloadLength);
        } else if (payloadLength <= 0xFFFF) {
            buf.writeByte(126);
            buf.writeShort(payloadLength);
        } else {
            buf.writeByte(127);
            buf.writeLong(payloadLength);
        }
    }
}
