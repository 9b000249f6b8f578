package io.fanwire.gateway.subscription;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Which local subscribers want which channels, for ONE event loop.
 *
 * <p>Only that event loop reads or writes the table (subscribe and unsubscribe run there, and so does the
 * fan-out task that delivers a batch), so it takes no locks. Lookups on the delivery path allocate nothing:
 * subscribers sit in arrays that {@link #forEachSubscriber} walks, handing each to a {@link Visitor}.
 * Subscribers are compared by identity.
 *
 * @param <S> the subscriber type (a connection's session)
 */
public final class SubscriptionTable<S> {

    /** Receives each subscriber of a record; {@code arg} is passed through, so no lambda is captured per call. */
    @FunctionalInterface
    public interface Visitor<S, A> {
        void visit(S subscriber, A arg);
    }

    private final Map<String, TopicSubscribers<S>> topics = new HashMap<>();
    private int size;

    /** Adds a subscription; returns false when {@code subscriber} already had it. */
    public boolean add(S subscriber, ChannelName channel) {
        TopicSubscribers<S> t = topics.computeIfAbsent(channel.topic(), name -> new TopicSubscribers<>());
        Members<S> members = channel.wholeTopic() ? t.whole : t.byKey.computeIfAbsent(channel.key(), k -> new Members<>());
        boolean added = members.add(subscriber);
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
            Members<S> members = t.byKey.get(channel.key());
            removed = members != null && members.remove(subscriber);
            if (members != null && members.isEmpty()) {
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
     * Visits once each subscriber of a record of {@code topic} with {@code key} (null for a keyless record,
     * which reaches whole-topic subscribers only). A subscriber of both the topic and the key is visited
     * once. The visitor must not change this table.
     */
    public <A> void forEachSubscriber(String topic, String key, A arg, Visitor<? super S, A> visitor) {
        TopicSubscribers<S> t = topics.get(topic);
        if (t == null) {
            return;
        }
        Members<S> whole = t.whole;
        for (int i = 0, n = whole.size; i < n; i++) {
            visitor.visit(whole.get(i), arg);
        }
        if (key != null) {
            Members<S> keyed = t.byKey.get(key);
            if (keyed != null) {
                boolean dedupe = whole.size > 0;
                for (int i = 0, n = keyed.size; i < n; i++) {
                    S subscriber = keyed.get(i);
                    if (!dedupe || !whole.contains(subscriber)) {
                        visitor.visit(subscriber, arg);
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
        final Members<S> whole = new Members<>();
        final Map<String, Members<S>> byKey = new HashMap<>();
    }

    /** A set kept as a dense array for iteration, plus an index for O(1) membership and removal. */
    private static final class Members<S> {
        private Object[] items = new Object[4];
        private final Map<S, Integer> index = new HashMap<>();
        int size;

        boolean add(S subscriber) {
            if (index.containsKey(subscriber)) {
                return false;
            }
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size] = subscriber;
            index.put(subscriber, size++);
            return true;
        }

        boolean remove(S subscriber) {
            Integer at = index.remove(subscriber);
            if (at == null) {
                return false;
            }
            int last = --size;
            if (at != last) {
                @SuppressWarnings("unchecked")
                S moved = (S) items[last];
                items[at] = moved;
                index.put(moved, at);
            }
            items[last] = null;
            return true;
        }

        boolean contains(S subscriber) {
            return index.containsKey(subscriber);
        }

        @SuppressWarnings("unchecked")
        S get(int i) {
            return (S) items[i];
        }

        boolean isEmpty() {
            return size == 0;
        }
    }
}
