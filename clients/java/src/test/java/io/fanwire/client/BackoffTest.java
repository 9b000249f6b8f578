package io.fanwire.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private final Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(10));

    @Test
    void nominalDelayDoublesFromTheBaseToTheCap() {
        assertEquals(500, backoff.nominalMs(0));
        assertEquals(1000, backoff.nominalMs(1));
        assertEquals(8000, backoff.nominalMs(4));
        assertEquals(10_000, backoff.nominalMs(5));
        assertEquals(10_000, backoff.nominalMs(1000), "no overflow for a long outage");
    }

    @Test
    void delaysAreJitteredWithinHalfToAllOfTheNominalDelay() {
        SplittableRandom random = new SplittableRandom(42);
        for (int attempt = 0; attempt < 12; attempt++) {
            long nominal = backoff.nominalMs(attempt);
            long min = Long.MAX_VALUE;
            long max = 0;
            for (int i = 0; i < 2000; i++) {
                long d = backoff.delayMs(attempt, random);
                min = Math.min(min, d);
                max = Math.max(max, d);
            }
            assertTrue(min >= nominal / 2 && max <= nominal, attempt + ": " + min + ".." + max);
            assertTrue(max - min > nominal / 3, "spread, not a fixed delay: " + min + ".." + max);
        }
    }

    @Test
    void aHundredFailedAttemptsTakeAtLeastTheSumOfTheFloors() {
        SplittableRandom random = new SplittableRandom(7);
        long total = 0;
        for (int attempt = 0; attempt < 100; attempt++) {
            total += backoff.delayMs(attempt, random);
        }
        // 250 + 500 + 1000 + 2000 + 4000 + 95 * 5000: never a hot loop.
        assertTrue(total >= 482_750, "total " + total);
    }

    @Test
    void refusesABaseAboveTheCapOrZero() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
    }
}
