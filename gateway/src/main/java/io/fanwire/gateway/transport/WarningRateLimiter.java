package io.fanwire.gateway.transport;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets at most one warning per interval through to the log and counts the ones it holds back, so that a flood of
 * bad connections (a scanner, a misconfigured balancer) costs one log line per interval instead of one per
 * connection, and the next line still says how many there were.
 *
 * <p>Any thread: the event loops of one listener share an instance. Lock-free; the clock is injectable for tests.
 */
final class WarningRateLimiter {

    /** Returned by {@link #tryAcquire} when the warning must not be logged. */
    static final long HOLD = -1;

    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong nextNanos;
    private final AtomicLong held = new AtomicLong();

    WarningRateLimiter(Duration interval, LongSupplier nanoTime) {
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.nextNanos = new AtomicLong(nanoTime.getAsLong());
    }

    /**
     * Asks to log one warning: {@link #HOLD} when one was logged less than an interval ago (this one is counted),
     * otherwise the number of warnings held back since the last one logged.
     */
    long tryAcquire() {
        long now = nanoTime.getAsLong();
        long next = nextNanos.get();
        if (now - next >= 0 && nextNanos.compareAndSet(next, now + intervalNanos)) {
            return held.getAndSet(0);
        }
        held.incrementAndGet();
        return HOLD;
    }
}
