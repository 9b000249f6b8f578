package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.Limit;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * One WebSocket connection as the fan-out sees it: its subscriptions (the registry), the entry of the live
 * path ({@link #write}), and its life: close, drain, slow-consumer disconnect, idle sweep. The roles around it
 * each have a class: {@link Subscription} (one subscription's resume and snapshot state), {@link OutboundWriter}
 * (gathering and writing frames), {@link Backpressure} (slow-consumer policy, made the first time the
 * connection falls behind), {@link MaxRateThrottle} (made when a subscription sets {@code max_rate}).
 *
 * <p>A record's walk: {@link #write} → (only while a subscription filters: {@link Subscription#takesLive}) →
 * (only with a {@code max_rate}: {@link MaxRateThrottle#hold}) → {@link OutboundWriter#gather} while the channel
 * is writable and nothing is owed, else {@link Backpressure#write}. Each gathered frame is added to the loop's
 * estimate of the node's {@link PendingBudget}; over it, a connection that stays behind once flushed is closed.
 * A healthy connection costs a few field checks and the gathering; docs/architecture.md draws the whole path.
 *
 * <p>Size: more than this package's usual 300 lines, on purpose. The fan-out visits this object once per record
 * and subscriber, so the fields the live path checks first stay in it, beside the registry and the lifecycle
 * that set them; everything behind those first checks lives in its own class.
 *
 * <p>Event loop only: created, used and dropped on the connection's own loop. Ownership: this class holds no
 * buffer; the writer, the backpressure and the throttle own theirs, and {@link #discard} releases them all.
 * Replies and control frames are written through {@code ctx} (they pass the WebSocket encoder); the channel
 * releases them.
 */
public final class Session {

    /** How long a slow consumer has to read its close frame before the connection is cut. */
    private static final long SLOW_CONSUMER_CLOSE_GRACE_MS = 1_000;
    private static final Subscription[] NO_SUBSCRIPTIONS = new Subscription[0];

    private final ChannelHandlerContext ctx;
    private final OutboundWriter out;
    private final Subprotocol protocol;
    private final int loopIndex;
    private final SessionServices services;
    /**
     * The subscriptions, in subscription order, in an array searched linearly: most connections hold a
     * handful, {@code ws.max.subscriptions} bounds the scan, and {@link #write} walks it without allocating.
     */
    private Subscription[] subscriptions = NO_SUBSCRIPTIONS;
    private int count;
    /** How many subscriptions {@link Subscription#filters filter}: while none does, {@link #write} checks nothing. */
    private int filtering;
    /** What the connection is owed while it is behind; made the first time it falls behind. */
    private Backpressure backpressure;
    /** The subscriptions' {@code max_rate} limits; made when the first subscription sets one. */
    private MaxRateThrottle throttle;
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
     * fan-out against real channels. {@code ctx} writes replies and control frames; {@code out} record frames.
     */
    public Session(ChannelHandlerContext ctx, OutboundWriter out, Subprotocol protocol, int loopIndex,
                   SessionServices services) {
        this.ctx = ctx;
        this.out = out;
        this.protocol = protocol;
        this.loopIndex = loopIndex;
        this.services = services;
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

    OutboundWriter out() {
        return out;
    }

    SessionServices services() {
        return services;
    }

    /** What the connection is owed while it is behind, or null if it never fell behind. */
    Backpressure backpressure() {
        return backpressure;
    }

    /** The {@code max_rate} throttle, or null if no subscription ever set a rate. */
    MaxRateThrottle throttle() {
        return throttle;
    }

    // ---- the registry ----------------------------------------------------------------------------------

    /** The subscription to {@code name}, or null. */
    Subscription subscription(ChannelName name) {
        int index = indexOf(name);
        return index < 0 ? null : subscriptions[index];
    }

    /** Subscription {@code index}, {@code 0 <= index < subscriptionCount()}, in subscription order. */
    Subscription subscription(int index) {
        return subscriptions[index];
    }

    int subscriptionCount() {
        return count;
    }

    private int indexOf(ChannelName name) {
        for (int i = 0; i < count; i++) {
            if (subscriptions[i].name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Adds a subscription that has been started ({@code Subscription.start*}). */
    void add(Subscription subscription) {
        if (count == subscriptions.length) {
            subscriptions = Arrays.copyOf(subscriptions, Math.max(2, count * 2));
        }
        subscriptions[count++] = subscription;
        if (subscription.filters()) {
            filtering++;
        }
    }

    /** A subscription of this session stopped filtering the live path. */
    void filteringEnded() {
        filtering--;
    }

    /**
     * Removes and {@link Subscription#unsubscribe unsubscribes} the subscription to {@code name}; forgets its
     * rate limit and the held records no remaining subscription wants, so that none is delivered after the
     * reply. Returns it, or null if there was none.
     */
    Subscription remove(ChannelName name) {
        int index = indexOf(name);
        if (index < 0) {
            return null;
        }
        Subscription subscription = subscriptions[index];
        System.arraycopy(subscriptions, index + 1, subscriptions, index, count - index - 1);
        subscriptions[--count] = null;
        subscription.unsubscribe();
        if (throttle != null) {
            throttle.setRate(name, 0);
            throttle.retainWanted();
        }
        if (backpressure != null) {
            backpressure.retainRecords(record -> indexOf(new ChannelName(record.topic(), null)) >= 0
                    || indexOf(new ChannelName(record.topic(), record.key())) >= 0);
        }
        return subscription;
    }

    /**
     * Whether a record that {@code replaying}'s replay is about to send reaches the client through another
     * subscription of this connection instead: one that matches it and counts it as after its start, and is
     * live in that partition or subscribed earlier (so that of two replays of overlapping channels, exactly
     * one sends the record).
     */
    boolean deliveredByOther(Subscription replaying, String topic, int partition, String key, long offset) {
        boolean earlier = true;
        for (int i = 0; i < count; i++) {
            Subscription other = subscriptions[i];
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

    // ---- the live path ---------------------------------------------------------------------------------

    /**
     * Writes {@code record}'s frame without flushing, and returns the bytes written: 0 when delivery stopped,
     * a resuming subscription will deliver the record itself, or the throttle or the slow-consumer policy kept
     * or dropped it; -1 when the session started closing because it does not read (status 1008).
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

    /** Whether some subscription matching {@code record} delivers it live (each one that does may end its skip). */
    private boolean liveTakes(EncodedRecord record) {
        int partition = record.partition();
        long offset = record.offset();
        boolean takes = false;
        for (int i = 0; i < count; i++) {
            Subscription subscription = subscriptions[i];
            if (subscription.matches(record.topic(), record.key()) && subscription.takesLive(partition, offset)) {
                takes = true;
            }
        }
        return takes;
    }

    /** {@link #write} past the {@code max_rate} throttle: now, or by the slow-consumer policy. */
    private int deliver(EncodedRecord record) {
        if (closing) {
            return 0;
        }
        int written;
        if (out.writable() && (backpressure == null || !backpressure.owes())) {
            written = out.gather(record);
            if (written > 0 && services.pendingBudget().add(loopIndex, written) && behindAfterFlush()) {
                closeOverBudget();
                return 0;
            }
        } else {
            if (backpressure == null) {
                backpressure = new Backpressure(out, protocol, ctx.alloc(), services.settings().slowConsumerPolicies(),
                        services.metrics());
            }
            written = backpressure.write(record, flushPending, throttle == null ? 0 : throttle.heldBytes());
            if (closing) {
                return 0;
            }
        }
        if (written < 0) {
            closeAsSlowConsumer();
        }
        return written;
    }

    /**
     * The node is over its pending budget: whether this connection is not keeping up, i.e. has more than its low
     * water mark queued even after this drain's writes were handed to the socket (a connection that reads has
     * them taken at once; one that does not keeps them queued).
     */
    private boolean behindAfterFlush() {
        if (!out.pastLowWater()) {
            return false;
        }
        if (flushPending) {
            out.flush();
        }
        return out.isOpen() && out.pastLowWater();
    }

    /** A record is held by the throttle: 0, or -1 if that takes the connection past ws.max.pending.bytes. */
    private int holdWithinBound() {
        long held = throttle.heldBytes() + (backpressure == null ? 0 : backpressure.heldBytes());
        if (out.queuedBytes() + held > out.maxPendingBytes()) {
            closeAsSlowConsumer();
            return -1;
        }
        return 0;
    }

    /** A record whose {@code max_rate} slot came, from the throttle's timer. */
    private void deliverOnTime(EncodedRecord record) {
        int written = deliver(record);
        if (written > 0) {
            services.metrics().delivered(1, written);
        }
    }

    /**
     * The connection's writability changed: once it is writable again, pay what the backpressure holds and let
     * waiting replays go on.
     */
    void writabilityChanged() {
        if (!closing && backpressure != null && backpressure.drain() == Backpressure.SLOW) {
            closeAsSlowConsumer();
        }
        if (out.channelWritable()) {
            for (int i = 0; i < count; i++) {
                subscriptions[i].connectionWritable();
            }
        }
    }

    /**
     * Sets the {@code max_rate} of subscription {@code channel}: at most that many records per second per key,
     * each the latest value; 0 removes the limit.
     */
    void maxRate(ChannelName channel, double maxRate) {
        if (throttle == null && maxRate > 0) {
            throttle = new MaxRateThrottle(ctx.executor(), System::nanoTime, protocol, ctx.alloc(),
                    services.metrics(), name -> indexOf(name) >= 0, this::deliverOnTime, this::flush);
        }
        if (throttle != null) {
            throttle.setRate(channel, maxRate);
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
        out.flush();
    }

    // ---- lifecycle -------------------------------------------------------------------------------------

    /** Whether the connection is on its way out: what it holds is about to be freed. */
    boolean closing() {
        return closing;
    }

    /** False once delivery stopped: the connection is closing, or was told to go away. */
    boolean delivering() {
        return !deliveryStopped;
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
     * Tells the client to go away ({@code GoAway} with its positions, flushed), stops all delivery to it, and
     * closes the connection with 1001 after {@code closeIn} unless the client closes first. A drain's step for
     * each connection ({@link Drain}); counted in {@code fanwire_drain_goaways_total}.
     */
    void goAway(String reason, long reconnectWithinMs, Duration closeIn) {
        if (closing || deliveryStopped) {
            return;
        }
        if (throttle != null) {
            // What max_rate holds goes out first: the client resumes elsewhere from positions past it.
            throttle.deliverHeld();
            if (closing) {
                return;
            }
        }
        ServerFrame goAway = ResumePoints.goAway(this, reason, reconnectWithinMs, closeIn.toMillis());
        services.metrics().drainGoAwaySent();
        deliveryStopped = true;
        out.writeGathered();
        discard();
        ctx.writeAndFlush(ServerFrames.toWebSocketFrame(goAway, protocol, ctx.alloc()), ctx.voidPromise());
        ctx.executor().schedule(() -> close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, reason),
                closeIn.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sends a close frame with {@code status} and closes the connection once it is written. */
    void close(WebSocketCloseStatus status, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        out.writeGathered();
        deliveryStopped = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeAsSlowConsumer() {
        closing = true;
        deliveryStopped = true;
        // Positions first: they must stay below what the backlog holds, which the client will not get.
        ServerFrame goAway = ResumePoints.goAway(this, Backpressure.SLOW_CONSUMER, 0, 0);
        out.writeGathered();
        discard();
        // GoAway and close frame queue behind what the client has not read: give it a moment, then cut.
        ctx.write(ServerFrames.toWebSocketFrame(goAway, protocol, ctx.alloc()), ctx.voidPromise());
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION, Backpressure.SLOW_CONSUMER))
                .addListener(ChannelFutureListener.CLOSE);
        ctx.executor().schedule(() -> ctx.close(), SLOW_CONSUMER_CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
        services.metrics().slowConsumerDisconnected();
    }

    /**
     * Bytes pending for this connection: its outbound buffer plus what its slow-consumer policy and
     * {@code max_rate} hold. What {@link PendingBudgetSweep} counts.
     */
    long pendingBytes() {
        return out.queuedBytes() + (backpressure == null ? 0 : backpressure.heldBytes())
                + (throttle == null ? 0 : throttle.heldBytes());
    }

    /**
     * The node is over its pending budget and this connection is among those furthest behind: it goes now,
     * without the grace a slow consumer gets, since the point is to free what it holds at once. Its
     * {@code GoAway} is written but will rarely reach a client this far behind; the client resumes from its own
     * positions (PROTOCOL.md §4.2) and loses nothing.
     */
    void closeOverBudget() {
        if (!closing) {
            services.metrics().limitExceeded(Limit.NODE_PENDING_BYTES);
            closeAsSlowConsumer();
            ctx.close();
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
        out.discard();
        ctx.channel().close();
    }

    /** Releases everything held back and gathered but not yet written: the connection is closing. Idempotent. */
    void discard() {
        if (backpressure != null) {
            backpressure.discard();
        }
        if (throttle != null) {
            throttle.discard();
        }
        out.discard();
    }
}
