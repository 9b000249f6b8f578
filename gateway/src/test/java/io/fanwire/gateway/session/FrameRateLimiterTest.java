package io.fanwire.gateway.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FrameRateLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void allowsTheBurstThenTheSustainedRate() {
        FrameRateLimiter limiter = new FrameRateLimiter(10, 5, now::get);
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.tryAcquire(), "frame " + i + " of the burst");
        }
        assertFalse(limiter.tryAcquire());
        now.addAndGet(100_000_000L); // one interval at 10 per second
        assertTrue(limiter.tryAcquire());
        assertFalse(limiter.tryAcquire());
        now.addAndGet(10_000_000_000L); // a long pause refills the bucket, no more
        for (int i = 0; i < 5; i++) {
            assertTrue(limiter.tryAcquire());
        }
        assertFalse(limiter.tryAcquire());
    }

    @Test
    void aClientThatIgnoresRefusalsIsFlagged() {
        FrameRateLimiter limiter = new FrameRateLimiter(1, 1, now::get);
        assertTrue(limiter.tryAcquire());
        for (int i = 0; i < FrameRateLimiter.MAX_REFUSED - 1; i++) {
            assertFalse(limiter.tryAcquire());
        }
        assertFalse(limiter.persistentlyExceeded());
        assertFalse(limiter.tryAcquire());
        assertTrue(limiter.persistentlyExceeded());
        now.addAndGet(1_000_000_000L);
        assertTrue(limiter.tryAcquire());
        assertFalse(limiter.persistentlyExceeded(), "a client that paused until its bucket refilled starts afresh");
    }

    @Test
    void aClientJustOverTheRateIsFlaggedEvenThoughSomeFramesPass() {
        FrameRateLimiter limiter = new FrameRateLimiter(10, 2, now::get);
        int refused = 0;
        for (int i = 0; i < 1_000 && !limiter.persistentlyExceeded(); i++) {
            now.addAndGet(50_000_000L); // 20 per second against 10 allowed
            if (!limiter.tryAcquire()) {
                refused++;
            }
        }
        assertTrue(limiter.persistentlyExceeded());
        assertTrue(refused >= FrameRateLimiter.MAX_REFUSED);
    }
}
