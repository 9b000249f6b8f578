package io.fanwire.gateway.session;

import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.FrameCompression;
import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.history.HistoryEntry;
import io.fanwire.gateway.history.LastValue;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;

/**
 * Where a connection's record frames go out: frames already encoded as complete WebSocket frames (the shared
 * frames of live records and of snapshot values, and the frames of replayed records and {@code Gap}s encoded for
 * this connection alone), gathered per drain and handed to the channel below the WebSocket encoder, which they need
 * not visit. Replies and control frames are not written here: they pass the encoder (see {@link Session}).
 *
 * <p>Made by the transport at the upgrade, which alone knows the pipeline: it hands over the context just below
 * the WebSocket frame encoder and the channel's outbound buffer, which Netty keeps for the channel's life.
 * Holding the buffer here matters: delivery visits every subscribed session of a record, and each hop from the
 * channel to its outbound buffer is a likely cache miss once there are thousands of connections.
 *
 * <p>Gathering, the trade-off: a record frame of a few hundred bytes costs less to copy than to queue on its own
 * (a duplicate, a shared reference count touched from every event loop, an outbound-buffer entry and an iovec
 * each). So the first frame of a drain is held as a read-only duplicate of the shared frame (most connections
 * of a keyed fan-out get one frame per drain, and a copy of it would cost a pooled allocation); the second
 * starts a buffer of this writer's own that the drain's frames are copied into, up to {@link #GATHER_MAX_BYTES}
 * or half the channel's high water mark, past which it is handed to the channel before the drain ends, where
 * the water marks see it.
 *
 * <p>Event loop only (the connection's). Ownership: the duplicate and the gathering buffer belong to this
 * writer until {@link #writeGathered} hands them to the channel, which releases them after writing;
 * {@link #discard} releases them if the connection closes first. The shared frames' reference counts are only
 * touched by the duplicate of a single-frame drain.
 */
public final class OutboundWriter {

    /** What {@link #gather} returns instead of a size when the frame would pass {@code ws.max.pending.bytes}. */
    static final int OVER_BOUND = -1;
    /** Initial size of the buffer a drain's frames are gathered in; it grows as needed. */
    private static final int GATHER_INITIAL_BYTES = 1024;
    /** Most bytes gathered before they go to the channel: half the high water mark, at most this. */
    private static final int GATHER_MAX_BYTES = 64 * 1024;

    /** Where frames are written: just below the WebSocket encoder. */
    private final ChannelHandlerContext frameOut;
    private final ChannelOutboundBuffer outbound;
    private final ByteBufAllocator alloc;
    private final Subprotocol protocol;
    private final PayloadFormats payloadFormats;
    /** permessage-deflate, when this connection negotiated it; else null. */
    private final FrameCompression compression;
    private final long maxPendingBytes;
    /** Gathered bytes past which they are handed to the channel before the drain ends. */
    private final int gatherLimit;
    /** The frames written since the last flush, copied into one buffer, or null. */
    private ByteBuf gathering;
    /** The one frame written since the last flush, as a read-only duplicate of the shared frame, or null. */
    private ByteBuf single;

    /**
     * @param frameOut        the context whose next outbound handler is below the WebSocket frame encoder
     * @param outbound        the channel's outbound buffer, read once by the transport
     * @param payloadFormats  how JSON frames encoded here carry record values
     * @param compression     the node's permessage-deflate settings when this connection negotiated the
     *                        extension, else null: record and snapshot frames then go as their shared compressed
     *                        form; frames encoded for this connection alone (replays, gaps) go uncompressed
     * @param maxPendingBytes {@code ws.max.pending.bytes}: the most a connection may have queued
     */
    public OutboundWriter(ChannelHandlerContext frameOut, ChannelOutboundBuffer outbound, Subprotocol protocol,
                          PayloadFormats payloadFormats, FrameCompression compression, long maxPendingBytes) {
        this.frameOut = frameOut;
        this.outbound = outbound;
        this.alloc = frameOut.alloc();
        this.protocol = protocol;
        this.payloadFormats = payloadFormats;
        this.compression = compression;
        this.maxPendingBytes = maxPendingBytes;
        this.gatherLimit = Math.max(GATHER_INITIAL_BYTES,
                Math.min(GATHER_MAX_BYTES, frameOut.channel().config().getWriteBufferHighWaterMark() / 2));
    }

    /** Whether the outbound buffer is below its high water mark: the hot path's check. */
    boolean writable() {
        return outbound.isWritable();
    }

    /** Whether the channel is open and below its high water mark. */
    boolean channelWritable() {
        return frameOut.channel().isWritable();
    }

    boolean isOpen() {
        return frameOut.channel().isOpen();
    }

    /** Whether more than the channel's low water mark is queued: the connection has not caught up. */
    boolean pastLowWater() {
        return outbound.totalPendingWriteBytes() > frameOut.channel().config().getWriteBufferLowWaterMark();
    }

    /** Bytes queued in the channel's outbound buffer, not counting what is gathered here. */
    long queuedBytes() {
        return outbound.totalPendingWriteBytes();
    }

    /** {@code ws.max.pending.bytes}. */
    long maxPendingBytes() {
        return maxPendingBytes;
    }

    /**
     * Gathers {@code record}'s frame and returns its size, or returns {@link #OVER_BOUND}, gathering nothing,
     * when the queued, gathered and new bytes together would pass {@code ws.max.pending.bytes}. Every path
     * that delivers a record (live, the backlog, the throttle) comes here.
     */
    int gather(EncodedRecord record) {
        writeGatheredIfFull();
        ByteBuf frame = compression == null ? record.frame(protocol, alloc)
                : record.frame(protocol, compression, alloc);
        int size = frame.readableBytes();
        if (outbound.totalPendingWriteBytes() + gatheredBytes() + size > maxPendingBytes) {
            return OVER_BOUND;
        }
        if (gathering != null) {
            gathering.writeBytes(frame, frame.readerIndex(), size);
        } else if (single == null) {
            single = frame.retainedDuplicate();
        } else {
            startGathering(size);
            gathering.writeBytes(frame, frame.readerIndex(), size);
        }
        return size;
    }

    /**
     * Gathers {@code value}'s snapshot frame, encoded once for every connection of this subprotocol, by copying
     * it into the gathering buffer (handed to the channel first when full), and returns its size. Not bounded by
     * {@code ws.max.pending.bytes}: the snapshot writes only while the channel is writable.
     */
    int gatherSnapshot(LastValue value) {
        return gatherShared(compression == null ? value.snapshotFrame(protocol, payloadFormats)
                : value.snapshotFrame(protocol, payloadFormats, compression));
    }

    /**
     * Gathers a replayed record's frame, encoded once for every connection of this subprotocol that replays it,
     * by copying it, and returns its size. Not bounded by {@code ws.max.pending.bytes}: a replay writes only while
     * the channel is writable. Uncompressed (see {@link #writeFrame}).
     */
    int gatherReplayed(HistoryEntry entry) {
        return gatherShared(entry.encoded(protocol, payloadFormats));
    }

    private int gatherShared(byte[] frame) {
        writeGatheredIfFull();
        if (gathering == null) {
            startGathering(frame.length);
        }
        gathering.writeBytes(frame);
        return frame.length;
    }

    private void writeGatheredIfFull() {
        if (gathering != null && gathering.readableBytes() >= gatherLimit) {
            writeGathered();
        }
    }

    /** Starts the gathering buffer, with room for {@code more} bytes, and moves the held single frame into it. */
    private void startGathering(int more) {
        int held = single != null ? single.readableBytes() : 0;
        gathering = alloc.directBuffer(Math.max(GATHER_INITIAL_BYTES, held + more));
        if (single != null) {
            gathering.writeBytes(single);
            single.release();
            single = null;
        }
    }

    private int gatheredBytes() {
        return gathering != null ? gathering.readableBytes() : single != null ? single.readableBytes() : 0;
    }

    /** Hands the frames gathered since the last flush to the channel, as one buffer, without flushing. */
    void writeGathered() {
        ByteBuf frames = gathering != null ? gathering : single;
        if (frames != null) {
            gathering = null;
            single = null;
            frameOut.write(frames, frameOut.voidPromise());
        }
    }

    /** Writes what is gathered and flushes the channel. */
    void flush() {
        writeGathered();
        frameOut.flush();
    }

    /**
     * Encodes {@code frame} for this connection alone and writes it, after what is gathered, without flushing:
     * a replayed record, a {@code Gap}. The channel releases the buffer. Never compressed: compressing here would
     * cost once per connection, which is the cost permessage-deflate here is built to avoid, and on a resume,
     * when many connections replay at once, the CPU matters more than the bytes (RFC 7692 lets each message
     * choose).
     */
    void writeFrame(ServerFrame frame) {
        writeGathered();
        ByteBuf buf = protocol == Subprotocol.PROTO
                ? ServerFrames.encodeProto(frame, alloc)
                : ServerFrames.encodeJson(frame, payloadFormats, alloc);
        frameOut.write(buf, frameOut.voidPromise());
    }

    /** Releases what is gathered and not yet written: the connection is closing or its state is not trusted. */
    void discard() {
        ByteBuf gathered = gathering != null ? gathering : single;
        gathering = null;
        single = null;
        if (gathered != null && gathered.refCnt() > 0) {
            gathered.release();
        }
    }
}
