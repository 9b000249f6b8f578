package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.Limit;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One WebSocket connection as the fan-out sees it: where to write, in which subprotocol, what it is
 * subscribed to, whether it has unflushed writes, and, while it does not read fast enough, what its
 * slow-consumer policy holds back for it ({@link Backlog}).
 *
 * <p>Slow consumers: the channel's write-buffer water marks are the trigger. Above the high mark each record
 * gets its topic's {@link SlowConsumerPolicy} (conflate, drop, disconnect); once Netty reports the channel
 * writable again (below the low mark) the held records and {@code Gap}s are written, in order, before any newer
 * record. {@code ws.max.pending.bytes} bounds the outbound buffer plus what is held: past it the connection
 * gets a {@code GoAway} and close 1008, whatever the policy.
 *
 * <p>Event loop only: created, used and dropped on the connection's own loop. Ownership: record frames are
 * copied into a buffer the session owns until {@link #flush} hands it to the channel (so the shared frame's
 * reference count is never touched per delivery); the backlog holds one reference per held record until it
 * is written, replaced or the connection closes ({@link #discard}).
 */
public final class Session {

    /** The name Netty's handshaker gives the WebSocket frame encoder it adds to the pipeline. */
    private static final String WEBSOCKET_ENCODER = "wsencoder";
    /** How long a slow consumer has to read its close frame before the connection is cut. */
    private static final long SLOW_CONSUMER_CLOSE_GRACE_MS = 1_000;
    /** Reason of the GoAway, Gap and close frame a slow consumer gets. */
    static final String SLOW_CONSUMER = "slow consumer";
    /** Initial size of the buffer a drain's frames are gathered in; it grows as needed. */
    private static final int GATHER_INITIAL_BYTES = 1024;
    /** Most bytes gathered before they go to the channel: half the high water mark, at most this. */
    private static final int GATHER_MAX_BYTES = 64 * 1024;

    private final ChannelHandlerContext ctx;
    /** Where record frames are written: just below the WebSocket encoder, which they need not visit. */
    private final ChannelHandlerContext frameOut;
    private final Subprotocol protocol;
    private final int loopIndex;
    private final SessionServices services;
    /** Gathered bytes past which they are handed to the channel before the drain ends. */
    private final int gatherLimit;
    private final Set<ChannelName> channels = new ChannelSet();
    /** What this connection is owed while it is behind; made, with its writer, the first time it falls behind. */
    private Backlog backlog;
    private BacklogWriter backlogWriter;
    /** The subscriptions' {@code max_rate} limits; made when the first subscription sets one. */
    private MaxRateThrottle throttle;
    /**
     * The record frames written since the last flush, copied into one buffer, or null: a frame of a few hundred
     * bytes costs less to copy than to queue on its own (a duplicate, a shared reference count touched from
     * every event loop, an outbound-buffer entry and an iovec each), and a client gets all of a drain's frames
     * in one buffer. Owned by this session until {@link #writeGathered} hands it to the channel.
     */
    private ByteBuf gathering;
    private boolean flushPending;
    private boolean closing;
    /** Whether the client sent anything since the last idle sweep. */
    private boolean readSinceSweep;
    /** Consecutive idle sweeps that found nothing read. */
    private int idlePeriods;
    /** This session's slot in its loop's {@link IdleSweep}; -1 when not registered. */
    int sweepSlot = -1;

    /**
     * Made by {@link SessionHandler} when a connection upgrades; public so that benchmarks can drive the
     * fan-out against real channels. {@code ctx} is where record frames are written.
     */
    public Session(ChannelHandlerContext ctx, Subprotocol protocol, int loopIndex, SessionServices services) {
        this.ctx = ctx;
        ChannelHandlerContext encoder = ctx.pipeline().context(WEBSOCKET_ENCODER);
        this.frameOut = encoder != null ? encoder : ctx;
        this.protocol = protocol;
        this.loopIndex = loopIndex;
        this.services = services;
        this.gatherLimit = Math.max(GATHER_INITIAL_BYTES,
                Math.min(GATHER_MAX_BYTES, ctx.channel().config().getWriteBufferHighWaterMark() / 2));
    }

    public Subprotocol protocol() {
        return protocol;
    }

    int loopIndex() {
        return loopIndex;
    }

    Set<ChannelName> channels() {
        return channels;
    }

    /**
     * Writes {@code record}'s frame without flushing, and returns the bytes written: 0 when the session is
     * closing or the record's slow-consumer policy kept or dropped it, or -1 when the session started closing
     * because it does not read (status 1008).
     *
     * <p>A healthy connection (no {@code max_rate}, writable, nothing held back) costs two null checks and a
     * copy of the frame into the buffer this drain's frames are gathered in ({@link #flush} writes it). A
     * {@code max_rate} subscription may hold the record for its key's next slot; past the high water mark the
     * record's slow-consumer policy applies.
     */
    public int write(EncodedRecord record) {
        if (closing) {
            return 0;
        }
        if (throttle != null && throttle.hold(record)) {
            return holdWithinBound();
        }
        return deliver(record);
    }

    /** {@link #write} past the {@code max_rate} throttle: now, or by the slow-consumer policy. */
    private int deliver(EncodedRecord record) {
        if (closing) {
            return 0;
        }
        ChannelOutboundBuffer pending = ctx.channel().unsafe().outboundBuffer();
        if (pending == null) {
            return 0;
        }
        if (gathering != null && gathering.readableBytes() >= gatherLimit) {
            // Hand a full buffer over, so that the channel's writability (the water marks) sees it.
            writeGathered();
        }
        if (pending.isWritable() && (backlog == null || backlog.isEmpty())) {
            return writeNow(record, pending);
        }
        return writeWhileBehind(record, pending);
    }

    /** A record is held by the throttle: 0, or -1 if that takes the connection past ws.max.pending.bytes. */
    private int holdWithinBound() {
        ChannelOutboundBuffer pending = ctx.channel().unsafe().outboundBuffer();
        long held = throttle.heldBytes() + (backlog == null ? 0 : backlog.heldBytes());
        if (pending != null && pending.totalPendingWriteBytes() + held > services.maxPendingBytes()) {
            closeAsSlowConsumer();
            return -1;
        }
        return 0;
    }

    private int writeNow(EncodedRecord record, ChannelOutboundBuffer pending) {
        ByteBuf frame = record.frame(protocol, ctx.alloc());
        int size = frame.readableBytes();
        int gathered = gathering == null ? 0 : gathering.readableBytes();
        if (pending.totalPendingWriteBytes() + gathered + size > services.maxPendingBytes()) {
            closeAsSlowConsumer();
            return -1;
        }
        if (gathering == null) {
            gathering = ctx.alloc().directBuffer(Math.max(GATHER_INITIAL_BYTES, size));
        }
        gathering.writeBytes(frame, frame.readerIndex(), size);
        return size;
    }

    /** Hands the frames gathered since the last flush to the channel, as one buffer. */
    private void writeGathered() {
        ByteBuf frames = gathering;
        if (frames != null) {
            gathering = null;
            frameOut.write(frames, frameOut.voidPromise());
        }
    }

    /** Above the high water mark, or with records held back: the record's slow-consumer policy decides. */
    private int writeWhileBehind(EncodedRecord record, ChannelOutboundBuffer pending) {
        if ((backlog == null || backlog.isEmpty()) && flushPending) {
            // Part of what is queued may be this very drain's writes, not yet handed to the socket: hand them
            // over first, so that only a connection whose socket is really full counts as behind.
            writeGathered();
            ctx.flush();
            pending = ctx.channel().unsafe().outboundBuffer();
            if (closing || pending == null) {
                return 0;
            }
            if (pending.isWritable()) {
                return writeNow(record, pending);
            }
        }
        if (pending.isWritable() && backlog != null && !backlog.isEmpty()) {
            // Caught up, and the writability event has not been handled yet: pay what is owed first.
            writabilityChanged();
            if (closing) {
                return 0;
            }
            if (backlog.isEmpty() && pending.isWritable()) {
                return writeNow(record, pending);
            }
        }
        SlowConsumerPolicy policy = services.slowConsumerPolicies().policyFor(record.topic(), record.key());
        if (policy == SlowConsumerPolicy.DISCONNECT) {
            closeAsSlowConsumer();
            return -1;
        }
        if (backlog == null) {
            backlog = new Backlog(protocol, ctx.alloc(), services.metrics());
            backlogWriter = new BacklogWriter();
        }
        if (policy == SlowConsumerPolicy.CONFLATE && record.key() != null) {
            if (backlog.conflate(record)) {
                services.metrics().recordsConflated(1);
            }
        } else {
            backlog.drop(record);
            services.metrics().recordsDropped(1);
        }
        long held = backlog.heldBytes() + (throttle == null ? 0 : throttle.heldBytes());
        if (pending.totalPendingWriteBytes() + held > services.maxPendingBytes()) {
            closeAsSlowConsumer();
            return -1;
        }
        return 0;
    }

    /**
     * The connection's writability changed: once it is writable again, write what the backlog holds (gaps and
     * conflated records, in order) for as long as it stays writable, and flush.
     */
    void writabilityChanged() {
        if (closing || backlog == null || backlog.isEmpty() || !ctx.channel().isWritable()) {
            return;
        }
        backlog.drainTo(backlogWriter);
        writeGathered();
        ctx.flush();
    }

    /**
     * Sets the {@code max_rate} of subscription {@code channel}: at most that many records per second per key,
     * each the latest value; 0 removes the limit.
     */
    void maxRate(ChannelName channel, double maxRate) {
        if (throttle == null && maxRate > 0) {
            throttle = new MaxRateThrottle(ctx.executor(), protocol, ctx.alloc(), services.metrics(), channels,
                    this::deliverOnTime, this::flush);
        }
        if (throttle != null) {
            throttle.setRate(channel, maxRate);
        }
    }

    private void deliverOnTime(EncodedRecord record) {
        int written = deliver(record);
        if (written > 0) {
            services.metrics().delivered(1, written);
        }
    }

    /**
     * Subscription {@code channel} was removed: forget its rate limit and the held records that no remaining
     * subscription wants, so that none is delivered after the unsubscribe's reply.
     */
    void unsubscribed(ChannelName channel) {
        if (throttle != null) {
            throttle.setRate(channel, 0);
            throttle.retainWanted();
        }
        if (backlog != null && !backlog.isEmpty()) {
            backlog.retainRecords(record -> channels.contains(new ChannelName(record.topic(), null))
                    || channels.contains(new ChannelName(record.topic(), record.key())));
        }
    }

    /** Releases everything held back and gathered but not yet written: the connection is closing. Idempotent. */
    void discard() {
        if (backlog != null) {
            backlog.discard();
        }
        if (throttle != null) {
            throttle.discard();
        }
        if (gathering != null) {
            gathering.release();
            gathering = null;
        }
    }

    /** Writes backlog entries for {@link #writabilityChanged}. */
    private final class BacklogWriter implements Backlog.Writer {
        @Override
        public boolean writable() {
            return !closing && ctx.channel().isWritable();
        }

        @Override
        public void record(EncodedRecord record) {
            ChannelOutboundBuffer pending = ctx.channel().unsafe().outboundBuffer();
            if (pending != null) {
                int written = writeNow(record, pending);
                if (written > 0) {
                    services.metrics().delivered(1, written);
                }
            }
        }

        @Override
        public void gap(String topic, int partition, long fromOffset, long toOffset) {
            writeGathered();
            ctx.write(ServerFrames.toWebSocketFrame(
                    ServerFrames.gap(topic, partition, fromOffset, toOffset, SLOW_CONSUMER), protocol, ctx.alloc()),
                    ctx.voidPromise());
            services.metrics().gapSent();
        }
    }

    /** Marks the session as having unflushed writes; true if it was not marked yet. */
    public boolean markFlushPending() {
        if (flushPending) {
            return false;
        }
        flushPending = true;
        return true;
    }

    /** Writes the frames gathered since the last flush, in one buffer, and flushes. */
    public void flush() {
        flushPending = false;
        writeGathered();
        ctx.flush();
    }

    boolean closing() {
        return closing;
    }

    /** Notes that the client sent something: it is not idle. */
    void onRead() {
        readSinceSweep = true;
    }

    /** Called by the loop's {@link IdleSweep} once per ping interval: ping a quiet client, or end it. */
    void onIdleSweep(int idlePeriodsToClose) {
        if (readSinceSweep) {
            readSinceSweep = false;
            idlePeriods = 0;
            return;
        }
        if (closing) {
            return;
        }
        if (++idlePeriods >= idlePeriodsToClose) {
            services.metrics().limitExceeded(Limit.IDLE_TIMEOUT);
            close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "idle timeout");
        } else {
            ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
        }
    }

    /** Sends a close frame with {@code status} and closes the connection once it is written. */
    void close(WebSocketCloseStatus status, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        writeGathered();
        ctx.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeAsSlowConsumer() {
        closing = true;
        discard();
        // GoAway and close frame queue behind what the client has not read: give it a moment, then cut.
        ctx.write(ServerFrames.toWebSocketFrame(goAway(SLOW_CONSUMER), protocol, ctx.alloc()), ctx.voidPromise());
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION, SLOW_CONSUMER))
                .addListener(ChannelFutureListener.CLOSE);
        ctx.executor().schedule(() -> ctx.close(), SLOW_CONSUMER_CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
        services.metrics().slowConsumerDisconnected();
    }

    /** The GoAway that precedes a close the server starts. */
    private static ServerFrame goAway(String reason) {
        return ServerFrames.goAway(reason);
    }
}
