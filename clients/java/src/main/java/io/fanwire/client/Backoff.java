package io.fanwire.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Jittered exponential backoff: attempt {@code n} (0 for the first retry) waits a random time in
 * {@code [d/2, d]} with {@code d = min(cap, base * 2^n)} ("equal jitter": spread like full jitter, but never
 * faster than half the nominal delay, so a client can never spin). Immutable; any thread.
 */
final class Backoff {

    private final long baseMs;
    private final long capMs;

    Backoff(Duration base, Duration cap) {
        if (base.isNegative() || base.isZero() || cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < base <= cap: " + base + ", " + cap);
        }
        this.baseMs = base.toMillis();
        this.capMs = cap.toMillis();
    }

    /** The nominal delay {@code d} of attempt {@code attempt}. */
    long nominalMs(int attempt) {
        int shift = Math.min(Math.max(attempt, 0), 30);
        long d = baseMs << shift;
        return d <= 0 || d > capMs ? capMs : d;
    }

    /** A random delay for attempt {@code attempt}, in {@code [nominal/2, nominal]}. */
    long delayMs(int attempt, RandomGenerator random) {
        long nominal = nominalMs(attempt);
        long floor = nominal / 2;
        return floor + random.nextLong(nominal - floor + 1);
    }

    long baseMs() {
        return baseMs;
    }

    long capMs() {
        return capMs;
    }
}
