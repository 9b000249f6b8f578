package io.fanwire.gateway.subscription;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SubscriptionTableTest {

    private final SubscriptionTable<String> table = new SubscriptionTable<>();

    private List<String> subscribers(String topic, String key) {
        List<String> out = new ArrayList<>();
        table.forEachSubscriber(topic, key, out, (subscriber, list) -> list.add(subscriber));
        return out;
    }

    @Test
    void keyedRecordsReachTopicAndKeySubscribersOnceEach() {
        table.add("a", ChannelName.parse("quotes", 256));
        table.add("a", ChannelName.parse("quotes/AAPL", 256));
        table.add("b", ChannelName.parse("quotes/AAPL", 256));
        table.add("c", ChannelName.parse("quotes/MSFT", 256));
        assertEquals(List.of("a", "b"), subscribers("quotes", "AAPL"));
        assertEquals(List.of("a", "c"), subscribers("quotes", "MSFT"));
        assertEquals(List.of("a"), subscribers("quotes", null));
        assertEquals(List.of(), subscribers("trades", "AAPL"));
        assertEquals(4, table.size());
    }

    @Test
    void addAndRemoveAreIdempotent() {
        ChannelName channel = ChannelName.parse("t/k", 256);
        assertTrue(table.add("a", channel));
        assertFalse(table.add("a", channel));
        assertTrue(table.remove("a", channel));
        assertFalse(table.remove("a", channel));
        assertEquals(0, table.size());
        assertEquals(List.of(), subscribers("t", "k"));
    }

    @Test
    void removalKeepsEveryOtherSubscriber() {
        ChannelName topic = ChannelName.parse("t", 256);
        for (String s : List.of("a", "b", "c", "d")) {
            table.add(s, topic);
        }
        table.remove("a", topic);
        table.remove("c", topic);
        assertEquals(java.util.Set.of("b", "d"), java.util.Set.copyOf(subscribers("t", "k")));
        assertEquals(2, subscribers("t", null).size());
    }

    @Test
    void channelNamesSplitAtTheFirstSlash() {
        assertEquals(new ChannelName("inbox", "user/7"), ChannelName.parse("inbox/user/7", 256));
        assertEquals(new ChannelName("quotes", null), ChannelName.parse("quotes", 256));
        assertEquals("inbox/user/7", ChannelName.parse("inbox/user/7", 256).toString());
        assertThrows(IllegalArgumentException.class, () -> ChannelName.parse("", 256));
        assertThrows(IllegalArgumentException.class, () -> ChannelName.parse("/k", 256));
        assertThrows(IllegalArgumentException.class, () -> ChannelName.parse("t/", 256));
        assertThrows(IllegalArgumentException.class, () -> ChannelName.parse("abcdef", 5));
    }

    @Test
    void randomAddsAndRemovesMatchAReferenceSet() {
        SubscriptionTable<Object> objects = new SubscriptionTable<>();
        ChannelName channel = ChannelName.parse("t", 256);
        List<Object> pool = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            pool.add(new Object());
        }
        Set<Object> expected = Collections.newSetFromMap(new IdentityHashMap<>());
        Random random = new Random(42);
        for (int step = 0; step < 20_000; step++) {
            Object subscriber = pool.get(random.nextInt(pool.size()));
            if (random.nextInt(3) == 0) {
                assertEquals(expected.remove(subscriber), objects.remove(subscriber, channel), "remove, step " + step);
            } else {
                assertEquals(expected.add(subscriber), objects.add(subscriber, channel), "add, step " + step);
            }
            if (step % 97 == 0 || step > 19_900) {
                List<Object> visited = new ArrayList<>();
                objects.forEachSubscriber("t", null, visited, (s, list) -> list.add(s));
                assertEquals(expected.size(), visited.size(), "visited once each, step " + step);
                assertEquals(expected, identitySet(visited), "members, step " + step);
            }
        }
    }

    private static Set<Object> identitySet(List<Object> items) {
        Set<Object> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(items);
        return set;
    }
}
