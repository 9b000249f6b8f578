package io.fanwire.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DescriptorBudgetTest {

    @Test
    void theDescriptorLimitLessTheReserveCapsTheConfiguredConnections() {
        assertEquals(19_488, DescriptorBudget.connectionCap(50_000, 20_000, 512));
        assertEquals(10_000, DescriptorBudget.connectionCap(10_000, 20_000, 512), "below the cap: as configured");
        assertEquals(1, DescriptorBudget.connectionCap(50_000, 100, 512), "never below one");
        assertEquals(50_000, DescriptorBudget.connectionCap(50_000, DescriptorBudget.UNKNOWN, 512));
    }

    @Test
    void thisProcessHasAKnownLimit() {
        assertTrue(DescriptorBudget.processLimit() > 0, "a Linux JVM reports its descriptor limit");
    }

    @Test
    void anAcceptFailureIsCountedLoggedOncePerIntervalAndPausesAccepting() {
        GatewayMetrics metrics = new GatewayMetrics();
        AtomicLong now = new AtomicLong();
        WarningRateLimiter warnings = new WarningRateLimiter(Duration.ofSeconds(10), now::get);
        EmbeddedChannel listener = new EmbeddedChannel(new AcceptErrorHandler(metrics, warnings));

        listener.pipeline().fireExceptionCaught(new IOException("Too many open files"));
        assertFalse(listener.config().isAutoRead(), "accepting paused");
        listener.pipeline().fireExceptionCaught(new IOException("Too many open files"));
        assertTrue(metrics.render().contains("fanwire_accept_errors_total 2"), metrics.render());
        assertEquals(WarningRateLimiter.HOLD, warnings.tryAcquire(), "the second failure was not logged");
        listener.checkException(); // nothing went further down the pipeline

        listener.advanceTimeBy(AcceptErrorHandler.PAUSE_MS, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertTrue(listener.config().isAutoRead(), "accepting again after the pause");
        listener.finishAndReleaseAll();
    }
}
