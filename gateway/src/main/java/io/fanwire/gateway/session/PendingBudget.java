package io.fanwire.gateway.session;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The node-wide budget for bytes pending for clients ({@code ws.max.pending.bytes.total}): what every
 * connection's outbound buffer queues plus what its slow-consumer policy and {@code max_rate} hold. Each
 * connection is bounded on its own ({@code ws.max.pending.bytes}), but that bound times thousands of
 * connections can exceed the direct memory the node has, and then the allocator failing would be what sheds
 * load: a cut connection per failed write, an ingest that waits. The budget acts first, in two ways:
 * <ul>
 *   <li>each event loop's {@link PendingBudgetSweep} counts its connections' bytes every {@value #PERIOD_MS}
 *       ms and, while the node is over the budget, closes the connections furthest behind, largest first;</li>
 *   <li>between sweeps, each loop adds what it hands to connections ({@link #add}) to the node's last count,
 *       and while that estimate is over the budget, a connection that gets more while it has more than its
 *       low water mark queued is closed on the spot. One event-loop task can fill thousands of connections
 *       (a batch of records to every stalled client) long before the next sweep; this is what catches it.
 *       The estimate only grows between sweeps (bytes the kernel took are not subtracted), so it errs towards
 *       "over", and only connections that are behind pay for it.</li>
 * </ul>
 *
 * <p>Threads: each loop writes its own slots (padded apart); any thread reads the total (a sum of slots written
 * at different moments, at most one sweep period old).
 */
public final class PendingBudget {

    /** How often each loop counts its connections' bytes. */
    static final long PERIOD_MS = 50;
    /** Once over the budget, loops shed until the node is back under this share of it. */
    static final double LOW_WATER = 0.9;

    /** Longs between two loops' slots in {@link #sinceSweep}: 128 bytes, so no two loops share a cache line. */
    private static final int PAD = 16;

    private final long limit;
    private final AtomicLongArray perLoop;
    /**
     * Per loop (at {@code loop * PAD}): the node's total when the loop last swept, then the bytes it handed to
     * connections since (at {@code loop * PAD + 1}). Written and read by that loop only.
     */
    private final long[] sinceSweep;

    /** A budget of {@code limit} bytes for a node of {@code loops} event loops. */
    public PendingBudget(long limit, int loops) {
        if (limit <= 0) {
            throw new IllegalArgumentException("budget must be positive, not " + limit);
        }
        this.limit = limit;
        this.perLoop = new AtomicLongArray(loops);
        this.sinceSweep = new long[loops * PAD];
    }

    /**
     * The budget {@code ws.max.pending.bytes.total} names: {@code configured}, or, when 0, a quarter of
     * {@code maxDirectMemory}. The rest is headroom: the allocator holds more than the bytes counted (buffers
     * grow by doubling, pool chunks are only partly used: PendingBudgetIT saw up to 2.5 times), and the frames
     * being encoded and the connections that are not behind need their share.
     */
    public static long resolve(long configured, long maxDirectMemory) {
        return configured > 0 ? configured : Math.max(1, maxDirectMemory / 4);
    }

    public long limit() {
        return limit;
    }

    /** The node's pending bytes as the loops last counted them. Any thread. */
    public long total() {
        long total = 0;
        for (int i = 0; i < perLoop.length(); i++) {
            total += perLoop.get(i);
        }
        return total;
    }

    /**
     * Loop {@code loop} counted {@code bytes} pending for its connections (its sweep, on that loop); returns the
     * node's total with that count.
     */
    long report(int loop, long bytes) {
        perLoop.set(loop, bytes);
        long total = total();
        sinceSweep[loop * PAD] = total;
        sinceSweep[loop * PAD + 1] = 0;
        return total;
    }

    /**
     * Event loop {@code loop} only: it handed {@code bytes} more to a connection. Returns whether the node's
     * estimate (the total at this loop's last sweep plus what the loop added since) is over the budget.
     */
    boolean add(int loop, long bytes) {
        int slot = loop * PAD;
        long added = sinceSweep[slot + 1] + bytes;
        sinceSweep[slot + 1] = added;
        return sinceSweep[slot] + added > limit;
    }
}
