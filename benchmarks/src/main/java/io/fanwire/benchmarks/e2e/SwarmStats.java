package io.fanwire.benchmarks.e2e;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What one swarm process measured: frames received, their latency, their size on the wire and after inflation,
 * disconnects, and, when started, the per-second {@link SwarmTimeline}. Any thread.
 */
final class SwarmStats {

    /** Latencies are recorded in microseconds, up to 60 s, 3 significant digits. */
    private final Recorder latencyMicros = new Recorder(60_000_000L, 3);
    private final LongAdder frames = new LongAdder();
    private final LongAdder wireBytes = new LongAdder();
    private final LongAdder messageBytes = new LongAdder();
    private final AtomicLong disconnects = new AtomicLong();
    private final AtomicLong closedByServer = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile String lastError = "";
    private volatile SwarmTimeline timeline;

    /**
     * One record frame: received at {@code receivedNanos}, sent at {@code sentNanos}; {@code wire} bytes on the
     * socket (header included, before inflation), {@code message} bytes of the message it carried.
     */
    void record(long sentNanos, long receivedNanos, int wire, int message) {
        long micros = Math.max(0, Math.min((receivedNanos - sentNanos) / 1_000, 60_000_000L));
        frames.increment();
        wireBytes.add(wire);
        messageBytes.add(message);
        latencyMicros.recordValue(micros);
        SwarmTimeline t = timeline;
        if (t != null) {
            t.record(receivedNanos, micros);
        }
    }

    /** Starts the per-second timeline at {@code originNanos}. */
    void startTimeline(long originNanos) {
        timeline = new SwarmTimeline(originNanos);
    }

    /** A connection got its subscription answered (counted per second when a timeline runs). */
    void subscribed(long nanos) {
        SwarmTimeline t = timeline;
        if (t != null) {
            t.subscribed(nanos);
        }
    }

    /** The timeline, or null when none was started. */
    SwarmTimeline timeline() {
        return timeline;
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
        wireBytes.reset();
        messageBytes.reset();
        latencyMicros.reset();
    }

    /** Frames counted and the latency histogram since the last reset or snapshot. */
    Histogram snapshot() {
        return latencyMicros.getIntervalHistogram();
    }

    long frames() {
        return frames.sum();
    }

    long wireBytes() {
        return wireBytes.sum();
    }

    long messageBytes() {
        return messageBytes.sum();
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
