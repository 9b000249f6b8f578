package io.fanwire.gateway.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test class when Netty's leak detector reports a leaked buffer while it ran.
 *
 * <p>Registered for every test class by JUnit's extension auto-detection ({@code junit-platform.properties}).
 * The surefire JVM runs with {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked.
 * Leaks are reported when the garbage collector finds an unreleased buffer and a later allocation polls
 * the detector; after each class this forces a few GC cycles and allocations, then checks the reports.
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterAllCallback {

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static volatile boolean installed;

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
        // Soak runs (scripts/soak-resume.sh) sample instead: paranoid tracking of minutes of traffic fills the heap.
        if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID
                && System.getProperty("fanwire.soak.clients") == null) {
            throw new IllegalStateException("tests must run with -Dio.netty.leakDetection.level=paranoid");
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        reportedLeaks();
        if (!LEAKS.isEmpty()) {
            String report = String.join("\n\n", LEAKS);
            LEAKS.clear();
            throw new AssertionError("Netty reported leaked buffers during " + context.getDisplayName() + ":\n" + report);
        }
    }

    /**
     * Makes the detector report what the garbage collector found unreleased, and returns how many leak
     * reports there are so far (the class fails after its tests if any).
     */
    public static int reportedLeaks() throws InterruptedException {
        install();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            for (int j = 0; j < 64; j++) {
                ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(64);
                ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.heapBuffer(64);
                pooled.release();
                unpooled.release();
            }
        }
        return LEAKS.size();
    }

    private static synchronized void install() {
        if (installed) {
            return;
        }
        Logger logger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                if (event.getLevel().isGreaterOrEqual(Level.ERROR) && event.getFormattedMessage().contains("LEAK")) {
                    LEAKS.add(event.getFormattedMessage());
                }
            }
        };
        appender.setContext(logger.getLoggerContext());
        appender.start();
        logger.addAppender(appender);
        installed = true;
    }
}
