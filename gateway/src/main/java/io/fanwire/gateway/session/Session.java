package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.Limit;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.history.PartitionLog;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.protocol.v1.ChannelPositions;
import io.fanwire.protocol.v1.GoAway;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * <p>Resume: live records pass {@link #write} unchecked while no subscription of the connection is resuming.
 * While one is, {@link #write} asks each matching subscription whether the live path may deliver the record (a
 * loop over a small array, no allocation): a resuming subscription leaves the records of the partitions it
 * replays to its {@link Replay}, which switches to live once it has caught up, so that the client sees every
 * record once, in order. {@link #positions} says where the client stands, for {@code GoAway}.
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
    private static final Subscription[] NO_SUBSCRIPTIONS = new Subscription[0];
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
    /**
     * The subscriptions, in subscription order, in an array searched linearly: most connections hold a
     * handful, {@code ws.max.subscriptions} bounds the scan, and {@link #write} walks it without allocating.
     */
    private Subscription[] states = NO_SUBSCRIPTIONS;
    private int channelCount;
    /** How many subscriptions {@link Subscription#filters filter}: while none does, {@link #write} checks nothing. */
    private int filtering;
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
    /**
     * The one record frame written since the last flush, as a read-only duplicate of the shared frame, or null:
     * most connections of a keyed (market-data) fan-out get one frame per drain, and copying it into a buffer
     * of its own costs a pooled allocation per delivery. The second frame starts {@link #gathering}.
     */
    private ByteBuf single;
    /**
     * The channel's outbound buffer and allocator, read once: delivery visits every subscribed session of a
     * record, and each hop of {@code ctx.channel().unsafe().outboundBuffer()} is a likely cache miss once
     * there are thousands of connections. Netty keeps the buffer object for the channel's life; after a close
     * the subscriptions are gone (channelInactive) and a write in between fails in the pipeline, released.
     */
    private final ChannelOutboundBuffer outbound;
    private final ByteBufAllocator alloc;
    private boolean flushPending;
    private boolean deliveryStopped;
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
        this.outbound = ctx.channel().unsafe().outboundBuffer();
        this.alloc = ctx.alloc();
        this.gatherLimit = Math.max(GATHER_INITIAL_BYTES,
                Math.min(GATHER_MAX_BYTES, ctx.channel().config().getWriteBufferHighWaterMark() / 2));
    }

    public Subprotocol protocol() {
        return protocol;
    }

    int loopIndex() {
        return loopIndex;
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    SessionServices services() {
        return services;
    }

    /** The subscription to {@code name}, or null. */
    Subscription channel(ChannelName name) {
        int index = indexOf(name);
        return index < 0 ? null : states[index];
    }

    /** Subscription {@code index}, {@code 0 <= index < channelCount()}, in subscription order. */
    Subscription channel(int index) {
        return states[index];
    }

    int channelCount() {
        return channelCount;
    }

    private int indexOf(ChannelName name) {
        for (int i = 0; i < channelCount; i++) {
            if (states[i].name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    void addChannel(Subscription subscription) {
        if (channelCount == states.length) {
            states = Arrays.copyOf(states, Math.max(2, channelCount * 2));
        }
        states[channelCount++] = subscription;
        if (subscription.filters()) {
            filtering++;
        }
    }

    /** A subscription of this session stopped filtering the live path. */
    void filteringEnded() {
        filtering--;
    }

    /** Drops a subscription and stops its replay; returns it, or null if there was none. */
    Subscription removeChannel(ChannelName name) {
        int index = indexOf(name);
        if (index < 0) {
            return null;
        }
        Subscription subscription = states[index];
        System.arraycopy(states, index + 1, states, index, channelCount - index - 1);
        states[--channelCount] = null;
        subscription.unsubscribe();
        return subscription;
    }

    /** The connection can take writes again: replays that waited for it go on. */
    void resumeReplays() {
        for (int i = 0; i < channelCount; i++) {
            states[i].connectionWritable();
        }
    }

    /**
     * Writes {@code record}'s frame without flushing, and returns the bytes written: 0 when the session is
     * closing, a resuming subscription will deliver the record itself, or the record's slow-consumer policy kept
     * or dropped it, or -1 when the session started closing
     * because it does not read (status 1008).
     *
     * <p>A healthy connection (no {@code max_rate}, writable, nothing held back) costs two null checks and,
     * from its second frame in a drain on, a copy of the frame into the buffer the drain's frames are gathered
     * in (the first is held as a duplicate of the shared frame; {@link #flush} writes either). A
     * {@code max_rate} subscription may hold the record for its key's next slot; past the high water mark the
     * record's slow-consumer policy applies.
     */
    public int write(EncodedRecord record) {
        if (deliveryStopped) {
            return 0;
        }
        if (filtering > 0 && !liveTakes(record)) {
            return 0;
        }
        if (throttle != null && throttle.hold(record)) {
            return holdWithinBound();
        }
        return deliver(record);
    }

    /** {@link #write} past the {@code max_rate} throttle: now, or by the slow-consumer policy. */
    private int deliver(EncodedRecord record) {
        ChannelOutboundBuffer pending = outbound;
        if (closing || pending == null) {
            return 0;
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

    /**
     * Gathers {@code record}'s frame. Every path that delivers a record (live, the backlog, the throttle)
     * comes here, so a full gathering buffer is handed to the channel here, where the water marks see it.
     */
    private int writeNow(EncodedRecord record, ChannelOutboundBuffer pending) {
        if (gathering != null && gathering.readableBytes() >= gatherLimit) {
            writeGathered();
        }
        ByteBuf frame = record.frame(protocol, alloc);
        int size = frame.readableBytes();
        if (pending.totalPendingWriteBytes() + gatheredBytes() + size > services.maxPendingBytes()) {
            closeAsSlowConsumer();
            return -1;
        }
        if (gathering != null) {
            gathering.writeBytes(frame, frame.readerIndex(), size);
        } else if (single == null) {
            single = frame.retainedDuplicate();
        } else {
            gathering = alloc.directBuffer(Math.max(GATHER_INITIAL_BYTES, single.readableBytes() + size));
            gathering.writeBytes(single);
            single.release();
            single = null;
            gathering.writeBytes(frame, frame.readerIndex(), size);
        }
        return size;
    }

    private int gatheredBytes() {
        return gathering != null ? gathering.readableBytes() : single != null ? single.readableBytes() : 0;
    }

    /** Hands the frames gathered since the last flush to the channel, as one buffer. */
    private void writeGathered() {
        ByteBuf frames = gathering != null ? gathering : single;
        if (frames != null) {
            gathering = null;
            single = null;
            frameOut.write(frames, frameOut.voidPromise());
        }
    }

    /** Whether some subscription matching {@code record} delivers it live (each one that does may end its skip). */
    private boolean liveTakes(EncodedRecord record) {
        int partition = record.partition();
        long offset = record.offset();
        boolean takes = false;
        for (int i = 0; i < channelCount; i++) {
            Subscription subscription = states[i];
            if (subscription.matches(record.topic(), record.key()) && subscription.takesLive(partition, offset)) {
                takes = true;
            }
        }
        return takes;
    }

    /**
     * Whether a record that {@code replaying}'s replay is about to send reaches the client through another
     * subscription of this connection instead: one that matches it and counts it as after its start, and is
     * live in that partition or subscribed earlier (so that of two replays of overlapping channels, exactly
     * one sends the record).
     */
    boolean deliveredByOther(Subscription replaying, String topic, int partition, String key, long offset) {
        boolean earlier = true;
        for (int i = 0; i < channelCount; i++) {
            Subscription other = states[i];
            if (other == replaying) {
                earlier = false;
                continue;
            }
            if (other.matches(topic, key) && other.afterStart(partition, offset)
                    && (other.liveIn(partition) || earlier)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sends {@code state}'s snapshot, flushed: the last value of each matching key whose offset is at or below
     * the subscription's start position in its partition, marked {@code snapshot}. A newer value is after the
     * start position, so the live path delivers it; a queued live record at or below it is skipped. So the
     * client gets each key's latest value once, then every later record, with no gap and no duplicate.
     */
    void sendSnapshot(Subscription subscription) {
        services.lastValues().forEach(subscription.name().topic(), subscription.name().key(), entry -> {
            Message message = entry.frame().getMessage();
            if (subscription.inSnapshot(message.getPartition(), entry.offset())) {
                writeFrame(ServerFrame.newBuilder().setMessage(message.toBuilder().setSnapshot(true)).build());
            }
        });
        flush();
        subscription.snapshotSent();
    }

    /** Writes a per-connection frame (replayed record, gap, go-away) without flushing. */
    void writeFrame(ServerFrame frame) {
        writeGathered();
        ByteBuf buf = protocol == Subprotocol.PROTO
                ? ServerFrames.encodeProto(frame, ctx.alloc())
                : ServerFrames.encodeJson(frame, services.payloadFormats(), ctx.alloc());
        frameOut.write(buf, frameOut.voidPromise());
    }

    /**
     * Where the client stands in each partition of {@code state}'s topic: everything of the channel up to each
     * position has been sent to it, or preceded its subscription. What {@code GoAway} tells it to resume from.
     */
    List<Position> positions(Subscription subscription) {
        String topic = subscription.name().topic();
        PartitionLog[] logs = services.history().partitions(topic);
        List<Position> positions = new ArrayList<>(logs.length);
        for (int p = 0; p < logs.length; p++) {
            if (logs[p] == null) {
                continue;
            }
            long position = subscription.position(p, logs[p], loopIndex);
            if (backlog != null && !backlog.isEmpty()) {
                long held = backlog.earliestOffset(topic, p);
                if (held != Long.MAX_VALUE) {
                    position = Math.min(position, held - 1);
                }
            }
            positions.add(Position.newBuilder().setPartition(p).setOffset(position).build());
        }
        return positions;
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
            throttle = new MaxRateThrottle(ctx.executor(), protocol, ctx.alloc(), services.metrics(),
                    new ChannelNames(), this::deliverOnTime, this::flush);
        }
        if (throttle != null) {
            throttle.setRate(channel, maxRate);
        }
    }

    /** The names of this session's subscriptions, as a read-only set view for the throttle. */
    private final class ChannelNames extends AbstractSet<ChannelName> {
        @Override
        public boolean contains(Object o) {
            return o instanceof ChannelName name && indexOf(name) >= 0;
        }

        @Override
        public int size() {
            return channelCount;
        }

        @Override
        public Iterator<ChannelName> iterator() {
            return Arrays.stream(states, 0, channelCount).map(Subscription::name).iterator();
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
            backlog.retainRecords(record -> indexOf(new ChannelName(record.topic(), null)) >= 0
                    || indexOf(new ChannelName(record.topic(), record.key())) >= 0);
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
        if (single != null) {
            single.release();
            single = null;
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

    /** False once delivery stopped: the connection is closing, or was told to go away. */
    boolean delivering() {
        return !deliveryStopped;
    }

    /**
     * Tells the client to go away ({@code GoAway} with its positions, flushed), stops all delivery to it, and
     * closes the connection with 1001 after {@code closeIn} unless the client closes first. A drain's step for
     * each connection ({@link Drain}); counted in {@code fanwire_drain_goaways_total}.
     */
    void goAway(String reason, long reconnectWithinMs, Duration closeIn) {
        if (closing || deliveryStopped) {
            return;
        }
        ServerFrame goAway = goAway(reason, reconnectWithinMs, closeIn.toMillis());
        services.metrics().drainGoAwaySent();
        deliveryStopped = true;
        writeGathered();
        discard();
        ctx.writeAndFlush(ServerFrames.toWebSocketFrame(goAway, protocol, ctx.alloc()), ctx.voidPromise());
        ctx.executor().schedule(() -> close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, reason),
                closeIn.toMillis(), TimeUnit.MILLISECONDS);
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

    /**
     * Delivery to this connection threw, so its state is not to be trusted: stop delivering, drop what was
     * gathered for it and cut the connection (no close frame: writing one could throw again). The client sees
     * a dropped connection and resumes from its positions (PROTOCOL.md §4.2), on this node or another.
     */
    public void abortAfterFailure() {
        closing = true;
        deliveryStopped = true;
        ByteBuf gathered = gathering != null ? gathering : single;
        gathering = null;
        single = null;
        if (gathered != null && gathered.refCnt() > 0) {
            gathered.release();
        }
        ctx.channel().close();
    }

    /** Sends a close frame with {@code status} and closes the connection once it is written. */
    void close(WebSocketCloseStatus status, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        writeGathered();
        deliveryStopped = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeAsSlowConsumer() {
        closing = true;
        deliveryStopped = true;
        // Positions first: they must stay below what the backlog holds, which the client will not get.
        ServerFrame goAway = goAway(SLOW_CONSUMER, 0, 0);
        writeGathered();
        discard();
        // GoAway and close frame queue behind what the client has not read: give it a moment, then cut.
        ctx.write(ServerFrames.toWebSocketFrame(goAway, protocol, ctx.alloc()), ctx.voidPromise());
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION, SLOW_CONSUMER))
                .addListener(ChannelFutureListener.CLOSE);
        ctx.executor().schedule(() -> ctx.close(), SLOW_CONSUMER_CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
        services.metrics().slowConsumerDisconnected();
    }

    /**
     * The GoAway that precedes a close the server starts: where the client stands in every channel, so that it
     * can resume elsewhere; {@code resume_from} too when all its channels are on one topic.
     */
    ServerFrame goAway(String reason, long reconnectWithinMs, long closeInMs) {
        GoAway.Builder goAway = GoAway.newBuilder().setReason(reason)
                .setReconnectWithinMs(reconnectWithinMs).setCloseInMs(closeInMs);
        String onlyTopic = null;
        boolean oneTopic = true;
        // resume_from: per partition the lowest position of any channel, which is safe for each of them.
        Map<Integer, Long> lowest = new TreeMap<>();
        for (int i = 0; i < channelCount; i++) {
            Subscription subscription = states[i];
            List<Position> positions = positions(subscription);
            goAway.addChannels(ChannelPositions.newBuilder().setChannel(subscription.name().toString())
                    .addAllPositions(positions));
            oneTopic &= onlyTopic == null || onlyTopic.equals(subscription.name().topic());
            onlyTopic = subscription.name().topic();
            for (Position position : positions) {
                lowest.merge(position.getPartition(), position.getOffset(), Math::min);
            }
        }
        if (oneTopic) {
            lowest.forEach((partition, offset) ->
                    goAway.addResumeFrom(Position.newBuilder().setPartition(partition).setOffset(offset)));
        }
        return ServerFrame.newBuilder().setGoAway(goAway).build();
    }
}
