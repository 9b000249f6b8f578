package io.fanwire.client;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The positions and the dedupe of a subscription with a {@code max_rate} (PROTOCOL.md §12.1 rule 15). The gateway
 * holds a key's record until the key's next slot, up to {@code 1/max_rate} seconds, while later records of other
 * keys of the same partition go out at once: such a subscription sees a partition's offsets out of order, though
 * each key's in order. So it keeps two things instead of one position per partition:
 *
 * <ul>
 *   <li><b>Dedupe per partition and key.</b> A record is a duplicate when its offset is at or below the last one
 *       handed on for its partition and key, or at or below the partition's <em>confirmed</em> position (from
 *       {@code Subscribed}, {@code GoAway}, {@code Gap}, which the gateway vouches for). Keyless records share
 *       one slot, as at the gateway: their key is {@code ""}, which no keyed record has (an empty key is no key,
 *       PROTOCOL.md §4 rule 1).
 *   <li><b>A resume position that lags.</b> A record still held when a connection is lost reached the gateway less
 *       than {@code 1/max_rate} seconds (plus scheduling delay) before, and every record of its partition with a
 *       higher offset was sent after it reached the gateway. So every record received more than the <em>lag</em>,
 *       {@code 1/max_rate} + {@link #MARGIN_NANOS}, before the connection's last one has a lower offset than any
 *       record the gateway still held: the highest offset received as of then is a safe place to resume. The
 *       resume position is the highest of that and the confirmed position; of the records sent again after it,
 *       those handed on already are discarded by the dedupe, and the held ones arrive.
 * </ul>
 *
 * <p>The lagged position comes from samples of the highest offsets received, taken at most every
 * {@code lag / }{@value #SAMPLES_PER_LAG} on receipt; a sample older than the lag (counted back from the latest
 * receipt) settles into the resume position. So the samples kept number at most {@value #SAMPLES_PER_LAG} + 1,
 * and the resume position trails the exact one by at most one sampling step. The per-key memory holds only keys
 * handed on above the resume position: an entry at or below it is forgotten, since no record at or below it can
 * come again (the next connection resumes after it, and the current one sends each key in order).
 *
 * <p>Thread: the client's event loop. The resume positions are the subscription's positions map, written here,
 * read from any thread. The clock ({@code System::nanoTime} unless a test gives another) is read once per record.
 */
final class MaxRatePositions {

    /**
     * Covers what {@code 1/max_rate} does not: the gateway's slot timer running late on a busy event loop, and two
     * frames of one connection taking different times to reach the application (TCP, the client's own loop). Those
     * delays do not grow with the rate's window, so the margin is a constant; a longer one only makes a resume
     * send again a few more records, which the dedupe discards.
     */
    static final long MARGIN_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Samples per lag: the resume position trails the exact lagged one by at most {@code lag / SAMPLES_PER_LAG}. */
    static final int SAMPLES_PER_LAG = 4;

    private record Sample(long atNanos, Map<Integer, Long> received) {
    }

    private final LongSupplier nanoTime;
    private final long lagNanos;
    private final long stepNanos;
    /** Partition to resume position: the highest of the confirmed and the settled lagged positions. */
    private final Map<Integer, Long> resume;
    /** Partition to the highest offset the gateway vouched for. */
    private final Map<Integer, Long> confirmed = new HashMap<>();
    /** Partition to key to the offset of the last record of that key handed on, above the resume position. */
    private final Map<Integer, Map<String, Long>> handed = new HashMap<>();

    // The current connection: what it delivered, and when.
    private final Map<Integer, Long> received = new HashMap<>();
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();

    /**
     * @param maxRate the subscription's {@code max_rate}, more than 0
     * @param resume the subscription's positions (those it resumes from), kept up to date here
     */
    MaxRatePositions(double maxRate, Map<Integer, Long> resume, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.lagNanos = (long) (TimeUnit.SECONDS.toNanos(1) / maxRate) + MARGIN_NANOS;
        this.stepNanos = lagNanos / SAMPLES_PER_LAG;
        this.resume = resume;
    }

    /** A position the gateway vouched for: a {@code Subscribed}'s or {@code GoAway}'s, a {@code Gap}'s end. */
    void confirm(int partition, long offset) {
        confirmed.merge(partition, offset, Math::max);
        raise(partition, offset);
    }

    /**
     * A record arrived on the current connection: true (and it counts as handed on) when it is new, false when it
     * is a duplicate that must not reach the application.
     */
    boolean accept(int partition, String key, long offset) {
        received(partition, offset);
        if (offset <= confirmed.getOrDefault(partition, Long.MIN_VALUE)) {
            return false;
        }
        Map<String, Long> keys = handed.computeIfAbsent(partition, p -> new HashMap<>());
        Long last = keys.get(key);
        if (last != null && offset <= last) {
            return false;
        }
        keys.put(key, offset);
        return true;
    }

    /**
     * The connection ended: the resume position stays where its lag put it, and the next connection's records
     * are timed afresh (one replayed on it reached its gateway only then).
     */
    void connectionEnded() {
        received.clear();
        samples.clear();
    }

    /** Unsubscribed: everything is forgotten. */
    void clear() {
        confirmed.clear();
        handed.clear();
        received.clear();
        samples.clear();
    }

    /** Keys remembered for {@code partition}, for tests. */
    int keysRemembered(int partition) {
        Map<String, Long> keys = handed.get(partition);
        return keys == null ? 0 : keys.size();
    }

    private void received(int partition, long offset) {
        long now = nanoTime.getAsLong();
        received.merge(partition, offset, Math::max);
        while (!samples.isEmpty() && now - samples.peekFirst().atNanos() >= lagNanos) {
            samples.pollFirst().received().forEach(this::raise);
        }
        if (samples.isEmpty() || now - samples.peekLast().atNanos() >= stepNanos) {
            samples.addLast(new Sample(now, Map.copyOf(received)));
        }
    }

    /** Moves the resume position of {@code partition} up to {@code offset}, forgetting the keys it passes. */
    private void raise(int partition, long offset) {
        Long current = resume.get(partition);
        if (current != null && current >= offset) {
            return;
        }
        resume.put(partition, offset);
        Map<String, Long> keys = handed.get(partition);
        if (keys != null) {
            for (Iterator<Long> it = keys.values().iterator(); it.hasNext(); ) {
                if (it.next() <= offset) {
                    it.remove();
                }
            }
        }
    }
}
