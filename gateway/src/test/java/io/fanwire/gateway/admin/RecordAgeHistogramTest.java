package io.fanwire.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class RecordAgeHistogramTest {

    private static final long T0 = 1_764_130_000_000L;
    private static final Pattern BUCKET =
            Pattern.compile("(?m)^fanwire_record_age_seconds_bucket\\{le=\"([^\"]+)\"} (\\d+)$");

    private final MovableClock clock = new MovableClock(T0);
    private final GatewayMetrics metrics = new GatewayMetrics(clock);
    private final RecordAgeHistogram ages = metrics.recordAges();

    @Test
    void emptyHistogramHasEveryBucketAtZero() {
        String text = metrics.render();
        assertTrue(text.contains("# TYPE fanwire_record_age_seconds histogram\n"), text);
        Map<String, Long> buckets = buckets(text);
        assertEquals(List.of("0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5",
                "10", "30", "60", "+Inf"), new ArrayList<>(buckets.keySet()));
        assertTrue(buckets.values().stream().allMatch(count -> count == 0), text);
        assertTrue(text.contains("\nfanwire_record_age_seconds_sum 0.000\n"), text);
        assertTrue(text.contains("\nfanwire_record_age_seconds_count 0\n"), text);
    }

    @Test
    void agesAreTheClockMinusTheRecordTimestamp() {
        clock.set(T0 + 7);
        ages.observe(T0, ages.nowMillis());
        Map<String, Long> buckets = buckets(metrics.render());
        assertEquals(0, buckets.get("0.005"));
        assertEquals(1, buckets.get("0.01"));
        assertEquals(1, buckets.get("+Inf"));
    }

    @Test
    void anAgeOnABoundCountsInThatBucketAndOneMillisecondMoreInTheNext() {
        ages.observe(T0 - 100, T0);
        ages.observe(T0 - 101, T0);
        Map<String, Long> buckets = buckets(metrics.render());
        assertEquals(0, buckets.get("0.05"));
        assertEquals(1, buckets.get("0.1"));
        assertEquals(2, buckets.get("0.2"));
    }

    @Test
    void bucketsAreCumulativeAndSumAndCountAddUp() {
        long[] agesMillis = {0, 1, 3, 40, 40, 900, 1_500, 45_000, 61_000, 3_600_000};
        for (long age : agesMillis) {
            ages.observe(T0 - age, T0);
        }
        String text = metrics.render();
        Map<String, Long> buckets = buckets(text);
        assertEquals(2, buckets.get("0.001"));
        assertEquals(2, buckets.get("0.002"));
        assertEquals(3, buckets.get("0.005"));
        assertEquals(5, buckets.get("0.05"));
        assertEquals(6, buckets.get("1"));
        assertEquals(7, buckets.get("2"));
        assertEquals(7, buckets.get("30"));
        assertEquals(8, buckets.get("60"));
        assertEquals(10, buckets.get("+Inf"));
        long previous = 0;
        for (long count : buckets.values()) {
            assertTrue(count >= previous, "buckets must not decrease: " + buckets);
            previous = count;
        }
        assertTrue(text.contains("\nfanwire_record_age_seconds_sum 3708.484\n"), text);
        assertTrue(text.contains("\nfanwire_record_age_seconds_count 10\n"), text);
    }

    @Test
    void aRecordFromTheFutureCountsAsAgeZero() {
        clock.set(T0);
        ages.observe(T0 + 2_000, ages.nowMillis());
        String text = metrics.render();
        assertEquals(1, buckets(text).get("0.001"));
        assertTrue(text.contains("\nfanwire_record_age_seconds_sum 0.000\n"), text);
        assertTrue(text.contains("\nfanwire_record_age_seconds_count 1\n"), text);
    }

    @Test
    void aRecordWithoutTimestampIsNotCounted() {
        ages.observe(-1, T0);
        assertTrue(metrics.render().contains("\nfanwire_record_age_seconds_count 0\n"));
    }

    @Test
    void sumKeepsItsMillisecondsWhenUnderOneSecond() {
        ages.observe(T0 - 5, T0);
        ages.observe(T0 - 60, T0);
        assertTrue(metrics.render().contains("\nfanwire_record_age_seconds_sum 0.065\n"));
    }

    @Test
    void concurrentObserversLoseNothing() throws InterruptedException {
        int threads = 4;
        int perThread = 100_000;
        List<Thread> observers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long age = t * 10L;
            Thread observer = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    ages.observe(T0 - age, T0);
                }
            });
            observer.start();
            observers.add(observer);
        }
        for (Thread observer : observers) {
            observer.join();
        }
        String text = metrics.render();
        assertEquals((long) threads * perThread, buckets(text).get("+Inf"));
        // Ages 0, 10, 20 and 30 ms, 100,000 times each: 6,000 s.
        assertTrue(text.contains("\nfanwire_record_age_seconds_sum 6000.000\n"), text);
    }

    private static Map<String, Long> buckets(String text) {
        Map<String, Long> buckets = new LinkedHashMap<>();
        Matcher m = BUCKET.matcher(text);
        while (m.find()) {
            buckets.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return buckets;
    }

    /** A clock the test sets; the histogram reads it through {@link Clock#millis()}. */
    private static final class MovableClock extends Clock {
        private volatile long millis;

        MovableClock(long millis) {
            this.millis = millis;
        }

        void set(long millis) {
            this.millis = millis;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
