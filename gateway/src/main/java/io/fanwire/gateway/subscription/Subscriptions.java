package io.fanwire.gateway.subscription;

import io.netty.channel.EventLoop;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Every event loop's {@link SubscriptionTable}, plus a small cross-thread index of which loops have any
 * subscription to which topic, so that the ingest thread sends a batch only to loops that want some of it.
 *
 * <p>Tables: each is touched by its own loop only ({@link #table}). Interest index: written by each loop
 * in its own slot, read by the ingest thread; a subscription made while a batch is in flight may miss
 * that batch, which is fine: delivery starts at the live end after the subscribe reply.
 *
 * @param <S> the subscriber type
 */
public final class Subscriptions<S> {

    private final List<EventLoop> loops;
    private final Map<EventLoop, Integer> loopIndex = new HashMap<>();
    private final SubscriptionTable<S>[] tables;
    private final Map<String, AtomicIntegerArray> interest = new HashMap<>();
    /** One shared instance per served topic of its whole-topic channel name; see {@link #canonical}. */
    private final Map<String, ChannelName> topicChannels = new HashMap<>();

    @SuppressWarnings("unchecked")
    public Subscriptions(List<EventLoop> loops, List<String> topics) {
        this.loops = List.copyOf(loops);
        this.tables = new SubscriptionTable[loops.size()];
        for (int i = 0; i < loops.size(); i++) {
            tables[i] = new SubscriptionTable<>();
            loopIndex.put(loops.get(i), i);
        }
        for (String topic : topics) {
            interest.put(topic, new AtomicIntegerArray(loops.size()));
            topicChannels.put(topic, new ChannelName(topic, null));
        }
    }

    /**
     * {@code channel} with its topic name shared with every other channel of a served topic, and the very
     * same instance for a whole-topic channel: a connection keeps its channel names for as long as it lives,
     * and ten thousand copies of {@code "quotes"} are ten thousand times 80 bytes. Any thread.
     */
    public ChannelName canonical(ChannelName channel) {
        ChannelName topicChannel = topicChannels.get(channel.topic());
        if (topicChannel == null) {
            return channel;
        }
        return channel.wholeTopic() ? topicChannel : new ChannelName(topicChannel.topic(), channel.key());
    }

    public List<EventLoop> loops() {
        return loops;
    }

    /** The index of {@code loop} in {@link #loops()}. */
    public int indexOf(EventLoop loop) {
        Integer index = loopIndex.get(loop);
        if (index == null) {
            throw new IllegalArgumentException("not one of the gateway's event loops: " + loop);
        }
        return index;
    }

    /** Loop {@code index}'s table. Call only on that loop. */
    public SubscriptionTable<S> table(int index) {
        return tables[index];
    }

    public boolean serves(String topic) {
        return interest.containsKey(topic);
    }

    /** Adds a subscription on loop {@code index}; call only on that loop. False when it already existed. */
    public boolean add(int index, S subscriber, ChannelName channel) {
        boolean added = tables[index].add(subscriber, channel);
        if (added) {
            interest.get(channel.topic()).incrementAndGet(index);
        }
        return added;
    }

    /** Removes a subscription on loop {@code index}; call only on that loop. False when it did not exist. */
    public boolean remove(int index, S subscriber, ChannelName channel) {
        boolean removed = tables[index].remove(subscriber, channel);
        if (removed) {
            interest.get(channel.topic()).decrementAndGet(index);
        }
        return removed;
    }

    /** Whether loop {@code index} has any subscription to {@code topic}. Any thread. */
    public boolean interested(int index, String topic) {
        AtomicIntegerArray counts = interest.get(topic);
        return counts != null && counts.get(index) > 0;
    }
}
