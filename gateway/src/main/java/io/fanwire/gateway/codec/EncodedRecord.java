package io.fanwire.gateway.codec;

import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One Kafka record, encoded once for every connection that will receive it: a complete binary WebSocket
 * frame for {@code fanwire.v1.proto}, and, made lazily on first use and then shared, a text frame for
 * {@code fanwire.v1.json}; and, for connections that negotiated permessage-deflate, each of those compressed,
 * also made on first use and shared ({@link FrameCompression}: one compression per record and subprotocol, however
 * many connections receive it).
 *
 * <p>Ownership: reference-counted. The ingest thread creates it (count 1), retains it once per event-loop
 * task it hands it to, and releases its own count; each task releases once when done. A connection's writer
 * ({@code session.OutboundWriter}) keeps at most one duplicate of a frame or copies it into a buffer of its
 * own; docs/architecture.md has the whole chain. The frames are freed when the count reaches zero. Read-only
 * after construction, except the lazily made frames, which are published safely across event loops.
 */
public final class EncodedRecord extends AbstractReferenceCounted {

    private final String topic;
    private final String key;
    private final ServerFrame frame;
    private final ByteBuf protoFrame;
    private final PayloadFormats formats;
    private volatile ByteBuf jsonFrame;
    /** The compressed frames, or the uncompressed one itself when compressing does not pay; null until asked. */
    private volatile ByteBuf protoDeflated;
    private volatile ByteBuf jsonDeflated;

    private EncodedRecord(String topic, String key, ServerFrame frame, ByteBuf protoFrame, PayloadFormats formats) {
        this.topic = topic;
        this.key = key;
        this.frame = frame;
        this.protoFrame = protoFrame;
        this.formats = formats;
    }

    /** Encodes {@code record}'s protobuf frame now; the JSON frame waits until a JSON client needs it. */
    public static EncodedRecord encode(ConsumerRecord<byte[], byte[]> record, ByteBufAllocator alloc) {
        return encode(record, PayloadFormats.none(), alloc);
    }

    /**
     * As {@link #encode(ConsumerRecord, ByteBufAllocator)}; the JSON frame, when made, carries the value as
     * {@code "data"} if {@code formats} says so for the record's topic and the value fits.
     */
    public static EncodedRecord encode(ConsumerRecord<byte[], byte[]> record, PayloadFormats formats,
                                       ByteBufAllocator alloc) {
        ServerFrame frame = ServerFrames.message(record);
        String key = frame.getMessage().getKey();
        return new EncodedRecord(record.topic(), key.isEmpty() ? null : key, frame,
                ServerFrames.encodeProto(frame, alloc), formats);
    }

    public String topic() {
        return topic;
    }

    /** The record key as UTF-8 text, or null for a keyless record. */
    public String key() {
        return key;
    }

    /** The record's Kafka partition. */
    public int partition() {
        return frame.getMessage().getPartition();
    }

    /** The record's Kafka offset. */
    public long offset() {
        return frame.getMessage().getOffset();
    }

    /** The Kafka record timestamp, in milliseconds since the epoch; negative when the record has none. */
    public long timestamp() {
        return frame.getMessage().getTimestamp();
    }

    /** The {@code Message} frame, unencoded: immutable, and safe to keep after this record is released. */
    public ServerFrame message() {
        return frame;
    }

    /** The length of the encoded protobuf frame, in bytes. */
    public int size() {
        return protoFrame.readableBytes();
    }

    /** The frame for {@code protocol}. The caller must not release it; write a retained duplicate. */
    public ByteBuf frame(Subprotocol protocol, ByteBufAllocator alloc) {
        return protocol == Subprotocol.PROTO ? protoFrame : jsonFrame(alloc);
    }

    /**
     * The frame for {@code protocol} as a connection that negotiated permessage-deflate gets it: compressed by
     * {@code compression} on the first call (by whichever event loop asks first; the others wait for it), or the
     * uncompressed frame when its payload is below the topic's minimum or does not shrink. The caller must not
     * release it; write a retained duplicate.
     */
    public ByteBuf frame(Subprotocol protocol, FrameCompression compression, ByteBufAllocator alloc) {
        ByteBuf deflated = protocol == Subprotocol.PROTO ? protoDeflated : jsonDeflated;
        if (deflated == null) {
            synchronized (this) {
                deflated = protocol == Subprotocol.PROTO ? protoDeflated : jsonDeflated;
                if (deflated == null) {
                    ByteBuf plain = frame(protocol, alloc);
                    ByteBuf compressed = compression.compress(topic, plain, alloc);
                    deflated = compressed != null ? compressed : plain;
                    if (protocol == Subprotocol.PROTO) {
                        protoDeflated = deflated;
                    } else {
                        jsonDeflated = deflated;
                    }
                }
            }
        }
        return deflated;
    }

    private ByteBuf jsonFrame(ByteBufAllocator alloc) {
        ByteBuf json = jsonFrame;
        if (json == null) {
            synchronized (this) {
                json = jsonFrame;
                if (json == null) {
                    json = ServerFrames.encodeJson(frame, formats, alloc);
                    jsonFrame = json;
                }
            }
        }
        return json;
    }

    @Override
    public EncodedRecord retain() {
        super.retain();
        return this;
    }

    @Override
    protected void deallocate() {
        protoFrame.release();
        ByteBuf json = jsonFrame;
        if (json != null) {
            json.release();
        }
        releaseIfOwn(protoDeflated);
        releaseIfOwn(jsonDeflated);
    }

    /** Releases a compressed frame; not the uncompressed frame that stands in for one that did not pay. */
    private void releaseIfOwn(ByteBuf deflated) {
        if (deflated != null && deflated != protoFrame && deflated != jsonFrame) {
            deflated.release();
        }
    }

    @Override
    public ReferenceCounted touch(Object hint) {
        protoFrame.touch(hint);
        return this;
    }
}
