package io.fanwire.gateway.session;

import java.util.function.LongSupplier;

/**
 * A token bucket over one connection's incoming frames: {@code perSecond} sustained, {@code burst} at once.
 * Kept as a single "theoretical arrival time" (GCRA), so it costs two longs and no timer.
 *
 * <p>Event loop only (the connection's own). The clock is injectable for tests.
 */
final class FrameRateLimiter {

    /**
     * Refused frames, without a pause long enough to refill the bucket, after which the client is taken to
     * ignore LIMIT_EXCEEDED.
     */
    static final int MAX_REFUSED = 100;

    private final long intervalNanos;
    private final long burstNanos;
    private final LongSupplier nanoTime;
    private long theoreticalArrival;
    private int refusedSinceFull;

    FrameRateLimiter(int perSecond, int burst, LongSupplier nanoTime) {
        this.intervalNanos = Math.max(1, 1_000_000_000L / perSecond);
        this.burstNanos = intervalNanos * burst;
        this.nanoTime = nanoTime;
        this.theoreticalArrival = nanoTime.getAsLong();
    }

    /** True when one more frame fits the rate; false when it must be refused. */
    boolean tryAcquire() {
        long now = nanoTime.getAsLong();
        if (theoreticalArrival - now <= 0) {
            refusedSinceFull = 0;
        }
        long next = Math.max(theoreticalArrival, now) + intervalNanos;
        if (next - now > burstNanos) {
            refusedSinceFull++;
            return false;
        }
        theoreticalArrival = next;
        return true;
    }

    /**
     * True once {@link #MAX_REFUSED} frames were refused since the bucket was last full: the client keeps
     * going past the rate, and it is time to close the connection.
     */
    boolean persistentlyExceeded() {
        return refusedSinceFull >= MAX_REFUSED;
    }
}
