package io.fanwire.client;

import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Subscribe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One channel a {@link FanwireClient} is subscribed to, across all its connections. It keeps, per partition,
 * its <em>position</em> — the offset of the last record handed to the application, or that counts as seen
 * (PROTOCOL.md §4.2) — and resumes from it on every new connection; a record at or below its position is
 * discarded, so the application never sees one twice. With a {@code max_rate}, a partition's records may come
 * out of offset order across keys, so the dedupe is per key and the position lags behind the records received
 * ({@link MaxRatePositions}).
 *
 * <p>Threads: the getters may be called from any thread; the state changes and listener calls happen on the
 * client's event loop.
 */
public final class Subscription {

    private static final Logger LOG = LoggerFactory.getLogger(Subscription.class);

    private final FanwireClient client;
    private final String channel;
    private final String topic;
    private final SubscribeOptions options;
    private final SubscriptionListener listener;
    private final Map<Integer, Long> positions = new ConcurrentHashMap<>();
    /** Per-key dedupe and lagging positions, for a subscription with a {@code max_rate}; else null. */
    private final MaxRatePositions maxRate;
    private final CompletableFuture<Subscription> ready = new CompletableFuture<>();
    private volatile SubscriptionState state = SubscriptionState.SUBSCRIBING;
    private volatile FanwireException failure;
    private volatile long delivered;
    private volatile long duplicatesDiscarded;
    private volatile long gaps;

    // Event loop only.
    /** The connection this subscription is subscribed on, or null. */
    private Object activeOn;
    /** The connection its Subscribe is in flight on, or null. */
    private Object pendingOn;
    /**
     * Messages and Gaps for it that came on {@link #pendingOn} before the reply: handled after the reply, in
     * order, so that none is lost and the positions it brings are merged first.
     */
    private final List<Object> early = new ArrayList<>();
    private boolean subscribedOnce;
    /**
     * The whole-topic subscription whose stream this keyed one rides on for the connection being set up, or null
     * when it has a Subscribe of its own ({@link FanwireClient#onOpen}).
     */
    Subscription ridingOn;

    Subscription(FanwireClient client, String channel, SubscribeOptions options, SubscriptionListener listener) {
        this(client, channel, options, listener, System::nanoTime);
    }

    /** @param nanoTime the clock that times the records of a {@code max_rate} subscription */
    Subscription(FanwireClient client, String channel, SubscribeOptions options, SubscriptionListener listener,
                 LongSupplier nanoTime) {
        this.client = client;
        this.channel = channel;
        int slash = channel.indexOf('/');
        this.topic = slash < 0 ? channel : channel.substring(0, slash);
        this.options = options;
        this.listener = listener;
        positions.putAll(options.resumeFrom());
        this.maxRate = options.maxRate() > 0 ? new MaxRatePositions(options.maxRate(), positions, nanoTime) : null;
    }

    public String channel() {
        return channel;
    }

    /** The channel's topic (the part before the first {@code /}). */
    public String topic() {
        return topic;
    }

    public SubscribeOptions options() {
        return options;
    }

    public SubscriptionState state() {
        return state;
    }

    /** Completes when the gateway first confirmed the subscription; fails with its refusal or the client's close. */
    public CompletableFuture<Subscription> ready() {
        return ready;
    }

    /**
     * Partition to offset of the last record seen (or counting as seen); a copy. Save it to resume later. With a
     * {@code max_rate}, where the subscription would resume: up to a little more than {@code 1/max_rate} seconds
     * of records behind the last one handed on (PROTOCOL.md §12.1 rule 15).
     */
    public Map<Integer, Long> positions() {
        return new TreeMap<>(positions);
    }

    /** Why the gateway refused this subscription ({@link SubscriptionState#FAILED}), or null. */
    public FanwireException failure() {
        return failure;
    }

    /** Messages handed to the listener. */
    public long delivered() {
        return delivered;
    }

    /** Messages discarded because their offset was at or below the position: duplicates the app did not see. */
    public long duplicatesDiscarded() {
        return duplicatesDiscarded;
    }

    /** {@link Gap}s handed to the listener. */
    public long gaps() {
        return gaps;
    }

    /**
     * Stops handing messages at once, forgets the positions and tells the gateway; completes when the gateway
     * confirmed it (at once when there is no connection).
     */
    public CompletableFuture<Void> unsubscribe() {
        return client.unsubscribe(this);
    }

    @Override
    public String toString() {
        return "Subscription{" + channel + " " + state + " positions " + positions() + ", delivered " + delivered
                + ", duplicates discarded " + duplicatesDiscarded + ", gaps " + gaps + "}";
    }

    // ---- event loop only, called by FanwireClient ----

    boolean isLive() {
        return state != SubscriptionState.FAILED && state != SubscriptionState.CLOSED;
    }

    boolean activeOn(Object connection) {
        return activeOn == connection && state == SubscriptionState.ACTIVE;
    }

    /** Whether its Subscribe was sent on {@code connection} (answered or not). */
    boolean sentOn(Object connection) {
        return pendingOn == connection || activeOn == connection;
    }

    /** Takes a Message or Gap for this subscription from {@code connection}; false if it is not for it. */
    boolean offer(Object connection, Object frame) {
        if (activeOn(connection)) {
            if (frame instanceof Message message) {
                deliver(message);
            } else {
                gap((io.fanwire.protocol.v1.Gap) frame);
            }
            return true;
        }
        if (pendingOn == connection && connection != null && state == SubscriptionState.SUBSCRIBING) {
            early.add(frame);
            return true;
        }
        return false;
    }

    /**
     * Whether this keyed subscription can resume on {@code topic}'s stream instead of a Subscribe of its own: it
     * asks nothing that stream does not give (no first snapshot, the same max_rate), and the topic resumes (it was
     * subscribed before, so its stream starts at its positions, which cover this one's). See
     * {@link FanwireClient#onOpen}.
     */
    boolean canRideOn(Subscription topic) {
        return topic != this && channel.startsWith(topic.channel + "/") && topic.isLive() && topic.subscribedOnce
                && (subscribedOnce || !options.snapshot()) && options.maxRate() == topic.options.maxRate();
    }

    /** The Subscribe for the next connection: a snapshot the first time if asked, a resume after that. */
    Subscribe subscribeRequest() {
        Subscribe.Builder subscribe = Subscribe.newBuilder().setChannel(channel);
        if (options.snapshot() && !subscribedOnce) {
            subscribe.setSnapshot(true);
        } else {
            new TreeMap<>(positions).forEach((p, o) -> subscribe.addResumeFrom(
                    Position.newBuilder().setPartition(p).setOffset(o)));
        }
        if (options.maxRate() > 0) {
            subscribe.setMaxRate(options.maxRate());
        }
        return subscribe.build();
    }

    void subscribing(Object connection) {
        pendingOn = connection;
        early.clear();
        setState(SubscriptionState.SUBSCRIBING);
    }

    void subscribed(Object connection, List<Position> serverPositions) {
        adopt(serverPositions);
        activeOn = connection;
        pendingOn = null;
        subscribedOnce = true;
        setState(SubscriptionState.ACTIVE);
        ready.complete(this);
        if (!early.isEmpty()) {
            List<Object> frames = new ArrayList<>(early);
            early.clear();
            for (Object frame : frames) {
                offer(connection, frame);
            }
        }
    }

    void refused(FanwireException error) {
        failure = error;
        activeOn = null;
        pendingOn = null;
        early.clear();
        setState(SubscriptionState.FAILED);
        try {
            listener.onError(error);
        } catch (RuntimeException e) {
            LOG.warn("listener of {} threw on an error", channel, e);
        }
        // After the listener: whoever waits on ready() sees what the listener did with the refusal.
        ready.completeExceptionally(error);
    }

    /** Merges positions the server gave (Subscribed, GoAway) with max. */
    void adopt(List<Position> serverPositions) {
        for (Position p : serverPositions) {
            confirm(p.getPartition(), p.getOffset());
        }
    }

    /** A position the gateway vouched for (Subscribed, GoAway, the end of a Gap): merged with max. */
    private void confirm(int partition, long offset) {
        if (maxRate != null) {
            maxRate.confirm(partition, offset);
        } else {
            positions.merge(partition, offset, Math::max);
        }
    }

    /** The connection ended: resume on the next one. */
    void connectionEnded() {
        ridingOn = null;
        if (maxRate != null) {
            maxRate.connectionEnded();
        }
        if (isLive()) {
            activeOn = null;
            pendingOn = null;
            early.clear();
            setState(subscribedOnce ? SubscriptionState.RESUMING : SubscriptionState.SUBSCRIBING);
        }
    }

    /** Unsubscribed or the client closed: final. */
    void closed(FanwireException why) {
        if (!isLive()) {
            return;
        }
        activeOn = null;
        pendingOn = null;
        early.clear();
        positions.clear();
        if (maxRate != null) {
            maxRate.clear();
        }
        setState(SubscriptionState.CLOSED);
        ready.completeExceptionally(why);
    }

    /** A message routed to this subscription on its active connection: handed on unless it is a duplicate. */
    void deliver(Message message) {
        if (state != SubscriptionState.ACTIVE) {
            return; // unsubscribed, or its connection ended: nothing more is handed on
        }
        // A snapshot value is at or before the subscribed positions by definition: it is not a duplicate and
        // does not move the position.
        if (!message.getSnapshot() && !isNew(message)) {
            duplicatesDiscarded++;
            return;
        }
        delivered++;
        try {
            listener.onMessage(new FanwireMessage(message, channel));
        } catch (RuntimeException e) {
            LOG.warn("listener of {} threw on a message", channel, e);
        }
    }

    /** Whether a (non-snapshot) message is new, now counted as handed on, or a duplicate. */
    private boolean isNew(Message message) {
        if (maxRate != null) {
            // A keyless record's key is "", the slot that keyless records share.
            return maxRate.accept(message.getPartition(), message.getKey(), message.getOffset());
        }
        long position = positions.getOrDefault(message.getPartition(), Long.MIN_VALUE);
        if (message.getOffset() <= position) {
            return false;
        }
        positions.put(message.getPartition(), message.getOffset());
        return true;
    }

    void gap(io.fanwire.protocol.v1.Gap gap) {
        confirm(gap.getPartition(), gap.getToOffset());
        gaps++;
        try {
            listener.onGap(new Gap(gap.getChannel(), gap.getPartition(), gap.getFromOffset(), gap.getToOffset(),
                    gap.getReason()));
        } catch (RuntimeException e) {
            LOG.warn("listener of {} threw on a gap", channel, e);
        }
    }

    private void setState(SubscriptionState next) {
        if (state != next) {
            state = next;
            try {
                listener.onStateChange(next);
            } catch (RuntimeException e) {
                LOG.warn("listener of {} threw on a state change", channel, e);
            }
        }
    }
}
