package io.fanwire.benchmarks.soak;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Latency of healthy clients per phase (baseline, frozen), by the record's send time: a record sent during a
 * phase counts for that phase. Any thread.
 */
final class SoakPhases {

    private final Histogram baseline = new ConcurrentHistogram(60_000_000L, 3);
    private final Histogram frozen = new ConcurrentHistogram(60_000_000L, 3);
    private volatile long baselineFromNanos = Long.MAX_VALUE;
    private volatile long frozenFromNanos = Long.MAX_VALUE;
    private volatile long frozenToNanos = Long.MAX_VALUE;

    void baselineFrom(long nanos) {
        baselineFromNanos = nanos;
    }

    void frozenFrom(long nanos) {
        frozenFromNanos = nanos;
    }

    void frozenTo(long nanos) {
        frozenToNanos = nanos;
    }

    void record(long sentNanos, long latencyNanos) {
        long micros = Math.max(0, Math.min(latencyNanos / 1_000, 60_000_000L));
        if (sentNanos >= frozenFromNanos) {
            if (sentNanos < frozenToNanos) {
                frozen.recordValue(micros);
            }
        } else if (sentNanos >= baselineFromNanos) {
            baseline.recordValue(micros);
        }
    }

    Histogram baseline() {
        return baseline;
    }

    Histogram frozen() {
        return frozen;
    }
}
