package io.fanwire.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.subscription.ChannelName;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code max_rate}: at most one record per key per interval, each the latest value, delivered when the key's
 * slot comes; on a controllable clock (the throttle's and the embedded loop's, advanced together).
 */
class MaxRateThrottleTest {

    private static final ChannelName QUOTES = new ChannelName("quotes", null);
    private static final ChannelName QUOTES_A = new ChannelName("quotes", "A");

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final Set<ChannelName> subscribed = new HashSet<>();
    private final List<Long> delivered = new ArrayList<>();
    private final List<EncodedRecord> made = new ArrayList<>();
    private long nowNanos = 1_000_000_000L;
    private int flushes;
    private MaxRateThrottle throttle;

    @BeforeEach
    void open() {
        loop.freezeTime();
        throttle = new MaxRateThrottle(loop.eventLoop(), () -> nowNanos, Subprotocol.PROTO,
                PooledByteBufAllocator.DEFAULT, new GatewayMetrics(), subscribed::contains,
                record -> delivered.add(record.offset()), () -> flushes++);
    }

    @AfterEach
    void close() {
        throttle.discard();
        loop.finishAndReleaseAll();
        for (EncodedRecord record : made) {
            assertEquals(1, record.refCnt(), "the throttle kept a reference");
            record.release();
        }
    }

    private void advanceMillis(long millis) {
        nowNanos += TimeUnit.MILLISECONDS.toNanos(millis);
        loop.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
    }

    @Test
    void theLatestValueOfAKeyWaitsForItsSlot() {
        subscribed.add(QUOTES);
        throttle.setRate(QUOTES, 10);
        assertFalse(throttle.hold(record(0, "A")), "the first record of a key goes at once");
        advanceMillis(10);
        assertTrue(throttle.hold(record(1, "A")));
        assertTrue(throttle.hold(record(2, "A")), "replaces A@1");
        assertFalse(throttle.hold(record(3, "B")), "another key has its own slot");
        assertTrue(throttle.heldBytes() > 0);
        advanceMillis(89);
        assertEquals(List.of(), delivered, "not before the slot");
        advanceMillis(1);
        assertEquals(List.of(2L), delivered);
        assertEquals(1, flushes);
        assertEquals(0, throttle.heldBytes());
        advanceMillis(100);
        assertFalse(throttle.hold(record(4, "A")), "the slot passed unused: the next record goes at once");
    }

    @Test
    void anUnlimitedMatchingSubscriptionLiftsTheLimit() {
        subscribed.add(QUOTES);
        subscribed.add(QUOTES_A);
        throttle.setRate(QUOTES, 1);
        assertFalse(throttle.hold(record(0, "A")));
        assertFalse(throttle.hold(record(1, "A")), "quotes/A has no limit");
        assertFalse(throttle.hold(record(2, "B")));
        assertTrue(throttle.hold(record(3, "B")), "B only matches the limited whole-topic subscription");
    }

    @Test
    void theHighestRateOfTheMatchingSubscriptionsApplies() {
        subscribed.add(QUOTES);
        subscribed.add(QUOTES_A);
        throttle.setRate(QUOTES, 1);
        throttle.setRate(QUOTES_A, 100);
        assertFalse(throttle.hold(record(0, "A")));
        advanceMillis(10);
        assertFalse(throttle.hold(record(1, "A")), "10 ms is the slot of 100 per second");
    }

    @Test
    void heldRecordsNoSubscriptionWantsAreReleased() {
        subscribed.add(QUOTES);
        throttle.setRate(QUOTES, 1);
        throttle.hold(record(0, "A"));
        assertTrue(throttle.hold(record(1, "A")));
        subscribed.remove(QUOTES);
        throttle.setRate(QUOTES, 0);
        throttle.retainWanted();
        assertEquals(0, throttle.heldBytes());
        advanceMillis(2_000);
        assertEquals(List.of(), delivered);
    }

    @Test
    void aHeldRecordBoundsTheResumePosition() {
        subscribed.add(QUOTES);
        throttle.setRate(QUOTES, 10);
        assertEquals(Long.MAX_VALUE, throttle.earliestOffset("quotes", 0), "nothing held");
        assertFalse(throttle.hold(record(0, "A")));
        assertFalse(throttle.hold(record(1, "B")));
        advanceMillis(10);
        assertTrue(throttle.hold(record(2, "A")));
        assertTrue(throttle.hold(record(3, "B")));
        assertTrue(throttle.hold(record(4, "A")), "replaces A@2, which max_rate skips");
        assertEquals(3, throttle.earliestOffset("quotes", 0), "B@3 is the oldest record the client is owed");
        assertEquals(Long.MAX_VALUE, throttle.earliestOffset("quotes", 1), "another partition");
        assertEquals(Long.MAX_VALUE, throttle.earliestOffset("trades", 0), "another topic");
        throttle.deliverHeld();
        assertEquals(Set.of(3L, 4L), new HashSet<>(delivered), "a GoAway takes the held records out first");
        assertEquals(0, throttle.heldBytes());
        assertEquals(Long.MAX_VALUE, throttle.earliestOffset("quotes", 0), "delivered: nothing owed");
    }

    private EncodedRecord record(long offset, String key) {
        EncodedRecord record = EncodedRecord.encode(new ConsumerRecord<>("quotes", 0, offset,
                key.getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)),
                PooledByteBufAllocator.DEFAULT);
        made.add(record);
        return record;
    }
}
