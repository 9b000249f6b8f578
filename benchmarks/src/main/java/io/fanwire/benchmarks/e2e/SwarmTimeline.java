package io.fanwire.benchmarks.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Frames and their latency per one-second bucket since an origin (the moment a swarm process opened its first
 * connection), for scenarios that watch a server converge rather than hold a steady state. A bucket's frame
 * count is its histogram's total count; beside it, how many connections got their subscription answered in
 * that second (the connect ramp). Recorded from the event loops, read by the command thread.
 */
final class SwarmTimeline {

    /** The longest period a timeline covers; later frames go uncounted. */
    static final int MAX_SECONDS = 3_600;
    /** Two significant digits: 1% per bucket is plenty for p50 and p99, and keeps a bucket near 20 KiB. */
    private static final int DIGITS = 2;

    private final long originNanos;
    private final AtomicReferenceArray<Recorder> buckets = new AtomicReferenceArray<>(MAX_SECONDS);
    private final AtomicIntegerArray subscribed = new AtomicIntegerArray(MAX_SECONDS);

    SwarmTimeline(long originNanos) {
        this.originNanos = originNanos;
    }

    long originNanos() {
        return originNanos;
    }

    void record(long receivedNanos, long latencyMicros) {
        long second = (receivedNanos - originNanos) / 1_000_000_000L;
        if (second < 0 || second >= MAX_SECONDS) {
            return;
        }
        Recorder bucket = buckets.get((int) second);
        if (bucket == null) {
            buckets.compareAndSet((int) second, null, new Recorder(60_000_000L, DIGITS));
            bucket = buckets.get((int) second);
        }
        bucket.recordValue(latencyMicros);
    }

    /** A connection got its subscription answered at {@code nanos}. */
    void subscribed(long nanos) {
        long second = (nanos - originNanos) / 1_000_000_000L;
        if (second >= 0 && second < MAX_SECONDS) {
            subscribed.incrementAndGet((int) second);
        }
    }

    /** Connections subscribed per second, oldest first, as many seconds as {@link #encoded} gave. */
    List<Integer> subscribedPerSecond(int seconds) {
        List<Integer> out = new ArrayList<>(seconds);
        for (int s = 0; s < seconds; s++) {
            out.add(subscribed.get(s));
        }
        return out;
    }

    /**
     * The buckets so far, oldest first, each as {@link HistogramText} (an empty one for a quiet second). Read once,
     * at the end of the period: reading empties the buckets.
     */
    List<String> encoded() {
        int last = -1;
        for (int s = 0; s < MAX_SECONDS; s++) {
            if (buckets.get(s) != null || subscribed.get(s) != 0) {
                last = s;
            }
        }
        List<String> out = new ArrayList<>();
        for (int s = 0; s <= last; s++) {
            Recorder bucket = buckets.get(s);
            out.add(HistogramText.encode(bucket == null ? new Histogram(60_000_000L, DIGITS) : bucket.getIntervalHistogram()));
        }
        return out;
    }
}
