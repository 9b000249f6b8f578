package io.fanwire.gateway.subscription;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Which local subscribers want which channels, for ONE event loop.
 *
 * <p>Only that event loop reads or writes the table (subscribe and unsubscribe run there, and so does the
 * fan-out task that delivers a batch), so it takes no locks. Subscribers are compared by identity.
 *
 * @param <S> the subscriber type (a connection's session)
 */
public final class SubscriptionTable<S> {

    private final Map<String, TopicSubscribers<S>> topics = new HashMap<>();
    private int size;

    /** Adds a subscription; returns false when {@code subscriber} already had it. */
    public boolean add(S subscriber, ChannelName channel) {
        TopicSubscribers<S> t = topics.computeIfAbsent(channel.topic(), name -> new TopicSubscribers<>());
        Set<S> set = channel.wholeTopic() ? t.whole : t.byKey.computeIfAbsent(channel.key(), k -> new LinkedHashSet<>());
        boolean added = set.add(subscriber);
        if (added) {
            size++;
        }
        return added;
    }

    /** Removes a subscription; returns false when {@code subscriber} did not have it. */
    public boolean remove(S subscriber, ChannelName channel) {
        TopicSubscribers<S> t = topics.get(channel.topic());
        if (t == null) {
            return false;
        }
        boolean removed;
        if (channel.wholeTopic()) {
            removed = t.whole.remove(subscriber);
        } else {
            Set<S> set = t.byKey.get(channel.key());
            removed = set != null && set.remove(subscriber);
            if (set != null && set.isEmpty()) {
                t.byKey.remove(channel.key());
            }
        }
        if (t.whole.isEmpty() && t.byKey.isEmpty()) {
            topics.remove(channel.topic());
        }
        if (removed) {
            size--;
        }
        return removed;
    }

    /**
     * Calls {@code action} once for each subscriber of a record of {@code topic} with {@code key} (null for
     * a keyless record, which reaches whole-topic subscribers only). A subscriber of both the topic and the
     * key is called once.
     */
    public void forEachSubscriber(String topic, String key, Consumer<? super S> action) {
        TopicSubscribers<S> t = topics.get(topic);
        if (t == null) {
            return;
        }
        for (S subscriber : t.whole) {
            action.accept(subscriber);
        }
        if (key != null) {
            Set<S> keyed = t.byKey.get(key);
            if (keyed != null) {
                for (S subscriber : keyed) {
                    if (!t.whole.contains(subscriber)) {
                        action.accept(subscriber);
                    }
                }
            }
        }
    }

    /** The number of subscriptions in this table. */
    public int size() {
        return size;
    }

    private static final class TopicSubscribers<S> {
        final Set<S> whole = new LinkedHashSet<>();
        final Map<String, Set<S>> byKey = new HashMap<>();
    }
}
