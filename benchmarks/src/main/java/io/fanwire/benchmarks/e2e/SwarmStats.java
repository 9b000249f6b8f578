package io.fanwire.benchmarks.e2e;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** What one swarm process measured: frames received, their latency, disconnects. Any thread. */
final class SwarmStats {

    /** Latencies are recorded in microseconds, up to 60 s, 3 significant digits. */
    private final Recorder latencyMicros = new Recorder(60_000_000L, 3);
    private final LongAdder frames = new LongAdder();
    private final AtomicLong disconnects = new AtomicLong();
    private final AtomicLong closedByServer = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile String lastError = "";

    void record(long latencyNanos) {
        frames.increment();
        latencyMicros.recordValue(Math.max(0, Math.min(latencyNanos / 1_000, 60_000_000L)));
    }

    void disconnected() {
        disconnects.incrementAndGet();
    }

    void closedByServer() {
        closedByServer.incrementAndGet();
    }

    void error(Throwable cause) {
        errors.incrementAndGet();
        lastError = cause.toString();
    }

    /** Starts a measurement window: drops what was recorded so far. */
    void reset() {
        frames.reset();
        latencyMicros.reset();
    }

    /** Frames counted and the latency histogram since the last reset or snapshot. */
    Histogram snapshot() {
        return latencyMicros.getIntervalHistogram();
    }

    long frames() {
        return frames.sum();
    }

    long disconnects() {
        return disconnects.get();
    }

    long closedByServerCount() {
        return closedByServer.get();
    }

    long errors() {
        return errors.get();
    }

    String lastError() {
        return lastError;
    }
}
