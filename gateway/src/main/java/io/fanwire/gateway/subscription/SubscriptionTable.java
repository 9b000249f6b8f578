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
        forEachTopicSubscriber(topic, arg, visitor);
        if (key != null) {
            forEachKeyOnlySubscriber(topic, key, arg, visitor);
        }
    }

    /** Visits each subscriber of the whole of {@code topic}. The visitor must not change this table. */
    public <A> void forEachTopicSubscriber(String topic, A arg, Visitor<? super S, A> visitor) {
        TopicSubscribers<S> t = topics.get(topic);
        if (t == null) {
            return;
        }
        Members<S> whole = t.whole;
        for (int i = 0, n = whole.size; i < n; i++) {
            visitor.visit(whole.get(i), arg);
        }
    }

    /**
     * Visits each subscriber of {@code topic}'s {@code key} that does not also subscribe to the whole topic
     * (which {@link #forEachTopicSubscriber} reaches). The visitor must not change this table.
     */
    public <A> void forEachKeyOnlySubscriber(String topic, String key, A arg, Visitor<? super S, A> visitor) {
        TopicSubscribers<S> t = topics.get(topic);
        if (t == null) {
            return;
        }
        Members<S> keyed = t.byKey.get(key);
        if (keyed == null) {
            return;
        }
        Members<S> whole = t.whole;
        boolean dedupe = whole.size > 0;
        for (int i = 0, n = keyed.size; i < n; i++) {
            S subscriber = keyed.get(i);
            if (!dedupe || !whole.contains(subscriber)) {
                visitor.visit(subscriber, arg);
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

    /**
     * A set of subscribers kept as a dense array for iteration, plus an open-addressing index of array
     * positions keyed by identity, for O(1) membership and removal. The index costs 4 to 8 bytes per member;
     * a {@code HashMap<S, Integer>} would cost about 50 (node, boxed position, table slot), which at 20 channels
     * per connection is a kilobyte of heap per connection.
     */
    private static final class Members<S> {
        private static final int[] NO_SLOTS = new int[0];

        private Object[] items = new Object[4];
        /** Linear-probing table of {@code position + 1} into {@link #items}; 0 marks a free slot. */
        private int[] slots = NO_SLOTS;
        int size;

        boolean add(S subscriber) {
            if (contains(subscriber)) {
                return false;
            }
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size] = subscriber;
            size++;
            if (size * 2 > slots.length) {
                rehash(Math.max(8, slots.length * 2));
            } else {
                slots[freeSlotFor(subscriber)] = size;
            }
            return true;
        }

        boolean remove(S subscriber) {
            int slot = slotOf(subscriber);
            if (slot < 0) {
                return false;
            }
            int at = slots[slot] - 1;
            deleteSlot(slot);
            int last = --size;
            if (at != last) {
                Object moved = items[last];
                items[at] = moved;
                slots[slotOf(moved)] = at + 1;
            }
            items[last] = null;
            return true;
        }

        boolean contains(S subscriber) {
            return slotOf(subscriber) >= 0;
        }

        @SuppressWarnings("unchecked")
        S get(int i) {
            return (S) items[i];
        }

        boolean isEmpty() {
            return size == 0;
        }

        private int slotOf(Object subscriber) {
            if (slots.length == 0) {
                return -1;
            }
            int mask = slots.length - 1;
            for (int i = home(subscriber, mask); ; i = (i + 1) & mask) {
                int entry = slots[i];
                if (entry == 0) {
                    return -1;
                }
                if (items[entry - 1] == subscriber) {
                    return i;
                }
            }
        }

        private int freeSlotFor(Object subscriber) {
            int mask = slots.length - 1;
            int i = home(subscriber, mask);
            while (slots[i] != 0) {
                i = (i + 1) & mask;
            }
            return i;
        }

        /** Frees {@code slot}, moving later entries of its probe run back so that every entry stays findable. */
        private void deleteSlot(int slot) {
            int mask = slots.length - 1;
            int hole = slot;
            for (int i = (slot + 1) & mask; slots[i] != 0; i = (i + 1) & mask) {
                int home = home(items[slots[i] - 1], mask);
                // Move the entry into the hole unless its home lies cyclically in (hole, i].
                boolean homeBetween = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
                if (!homeBetween) {
                    slots[hole] = slots[i];
                    hole = i;
                }
            }
            slots[hole] = 0;
        }

        private void rehash(int capacity) {
            slots = new int[capacity];
            for (int position = 0; position < size; position++) {
                slots[freeSlotFor(items[position])] = position + 1;
            }
        }

        private static int home(Object subscriber, int mask) {
            int h = System.identityHashCode(subscriber) * 0x9E3779B9;
            return (h ^ (h >>> 16)) & mask;
        }
    }
}
