package io.fanwire.gateway.admin;

import java.math.BigDecimal;
import java.time.Clock;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code fanwire_record_age_seconds}: how old live records are when an event loop writes them to its
 * connections, that is the loop's clock minus the Kafka record timestamp (the producer's {@code CreateTime},
 * or the broker's {@code LogAppendTime} on topics configured for it). It adds up what producer batching,
 * replication, consumer lag, the fan-out queue and the loop's own backlog cost; the kernel's and the
 * network's share after the write is not in it.
 *
 * <p>Observed once per record per event loop that delivers it ({@code fanout.LoopDelivery}), not once per
 * connection: {@code _count} counts records times the loops they reached. Only live delivery is observed:
 * replays, catch-up reads and snapshots send records that are old on purpose and would bury the signal.
 *
 * <p>Any thread; the hot path. An observation is two {@link LongAdder} increments and no allocation: event
 * loops observe concurrently without a lock, and the adders' cells keep them from contending on one cache
 * line. {@code _count} is the sum of the buckets, so it always equals the {@code +Inf} bucket even while a
 * scrape races observations.
 */
public final class RecordAgeHistogram {

    static final String NAME = "fanwire_record_age_seconds";

    /**
     * Upper bounds of the buckets, in milliseconds (Kafka timestamps have no finer unit): from one
     * millisecond, a loop keeping up on a quiet cluster, to a minute, a node far behind. Roughly 1-2-5 steps,
     * so that {@code histogram_quantile} interpolates within a factor of 2.5 everywhere in that range.
     */
    private static final long[] BOUNDS_MILLIS =
            {1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000};
    private static final String[] BUCKET_PREFIXES = bucketPrefixes();

    private final Clock clock;
    /** Observations per bucket, not cumulative; the last one is past every bound ({@code +Inf}). */
    private final LongAdder[] buckets = new LongAdder[BOUNDS_MILLIS.length + 1];
    private final LongAdder sumMillis = new LongAdder();

    /** {@code clock} is what record timestamps are compared with; tests pass one they move. */
    public RecordAgeHistogram(Clock clock) {
        this.clock = clock;
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    /** Now, in milliseconds since the epoch: read once for records written together. */
    public long nowMillis() {
        return clock.millis();
    }

    /**
     * Counts one record with Kafka timestamp {@code timestampMillis}, written at {@code nowMillis}. A record
     * from the future (producer's clock ahead of ours) counts as age zero, in the lowest bucket: a negative
     * observation would make {@code _sum} decrease, which {@code rate()} reads as a counter reset. A record
     * without a timestamp (negative, message format v0) is not counted.
     */
    public void observe(long timestampMillis, long nowMillis) {
        if (timestampMillis < 0) {
            return;
        }
        long age = Math.max(0, nowMillis - timestampMillis);
        int bucket = 0;
        while (bucket < BOUNDS_MILLIS.length && age > BOUNDS_MILLIS[bucket]) {
            bucket++;
        }
        buckets[bucket].increment();
        sumMillis.add(age);
    }

    /** Appends the histogram in the Prometheus text format: cumulative buckets, then sum and count. */
    void render(StringBuilder out) {
        out.append("# HELP ").append(NAME).append(" Age of live records when an event loop writes them to its "
                        + "connections (now minus the Kafka record timestamp), once per record per event loop.\n")
                .append("# TYPE ").append(NAME).append(" histogram\n");
        long cumulative = 0;
        for (int i = 0; i < buckets.length; i++) {
            cumulative += buckets[i].sum();
            out.append(BUCKET_PREFIXES[i]).append(cumulative).append('\n');
        }
        long sum = sumMillis.sum();
        out.append(NAME).append("_sum ").append(sum / 1_000).append('.');
        String millis = Long.toString(sum % 1_000);
        out.append("000", millis.length(), 3).append(millis).append('\n');
        out.append(NAME).append("_count ").append(cumulative).append('\n');
    }

    private static String[] bucketPrefixes() {
        String[] prefixes = new String[BOUNDS_MILLIS.length + 1];
        for (int i = 0; i < BOUNDS_MILLIS.length; i++) {
            prefixes[i] = NAME + "_bucket{le=\"" + seconds(BOUNDS_MILLIS[i]) + "\"} ";
        }
        prefixes[BOUNDS_MILLIS.length] = NAME + "_bucket{le=\"+Inf\"} ";
        return prefixes;
    }

    /** {@code millis} as seconds without trailing zeros: 1 → "0.001", 1000 → "1", 2500 → "2.5". */
    private static String seconds(long millis) {
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
    }
}
