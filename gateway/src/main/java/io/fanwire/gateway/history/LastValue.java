package io.fanwire.gateway.history;

import io.fanwire.gateway.codec.FrameCompression;
import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.protocol.v1.ServerFrame;

/**
 * The last value of one key of a snapshot topic ({@link LastValues}), and its snapshot frames: the record's
 * {@code Message} marked {@code snapshot: true}, encoded as a complete WebSocket frame once per subprotocol
 * when the first snapshot needs it, then shared by every connection that takes a snapshot until the key is
 * written again.
 *
 * <p>Threads: made by the ingest thread; read by any event loop. The lazily encoded frames are published
 * through volatile fields; two loops that both miss encode the same bytes twice, and either result is kept
 * (cheaper than a lock on a path that runs once per value). Ownership: the frames are plain heap arrays, owned
 * by the garbage collector: a value leaves the cache (evicted, replaced, deleted) while event loops may still
 * be copying its frame, and no reference count would be correct for that without a lock.
 */
public final class LastValue {

    private final long offset;
    private final String key;
    private final ServerFrame message;
    private final int bytes;
    private volatile byte[] protoFrame;
    private volatile byte[] jsonFrame;
    /** The snapshot frames compressed, or the uncompressed ones when that does not pay; null until asked. */
    private volatile byte[] protoDeflated;
    private volatile byte[] jsonDeflated;

    LastValue(long offset, String key, ServerFrame message, int bytes) {
        this.offset = offset;
        this.key = key;
        this.message = message;
        this.bytes = bytes;
    }

    public long offset() {
        return offset;
    }

    public int partition() {
        return message.getMessage().getPartition();
    }

    public String key() {
        return key;
    }

    /** The encoded size of the record's live frame: what the value is charged against the topic's budget. */
    int bytes() {
        return bytes;
    }

    /**
     * The value's snapshot frame for {@code protocol}, a complete WebSocket frame; encoded on first use.
     * {@code formats} must be the node's (one per node), since the JSON frame made with it is shared.
     * The caller must not modify the array.
     */
    public byte[] snapshotFrame(Subprotocol protocol, PayloadFormats formats) {
        byte[] frame = protocol == Subprotocol.PROTO ? protoFrame : jsonFrame;
        if (frame == null) {
            frame = encode(protocol, formats);
            if (protocol == Subprotocol.PROTO) {
                protoFrame = frame;
            } else {
                jsonFrame = frame;
            }
        }
        return frame;
    }

    /**
     * The value's snapshot frame for {@code protocol} as a connection that negotiated permessage-deflate gets
     * it: compressed once by {@code compression}, then shared, or the uncompressed frame when compressing does
     * not pay. The caller must not modify the array.
     */
    public byte[] snapshotFrame(Subprotocol protocol, PayloadFormats formats, FrameCompression compression) {
        byte[] frame = protocol == Subprotocol.PROTO ? protoDeflated : jsonDeflated;
        if (frame == null) {
            byte[] plain = snapshotFrame(protocol, formats);
            byte[] compressed = compression.compress(ServerFrames.topicOf(message.getMessage()), plain);
            frame = compressed != null ? compressed : plain;
            if (protocol == Subprotocol.PROTO) {
                protoDeflated = frame;
            } else {
                jsonDeflated = frame;
            }
        }
        return frame;
    }

    private byte[] encode(Subprotocol protocol, PayloadFormats formats) {
        ServerFrame snapshot = ServerFrame.newBuilder()
                .setMessage(message.getMessage().toBuilder().setSnapshot(true)).build();
        return ServerFrames.encodeToArray(snapshot, protocol, formats);
    }
}
