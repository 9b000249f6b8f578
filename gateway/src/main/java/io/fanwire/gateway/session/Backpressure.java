package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.policy.SlowConsumerPolicies;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Predicate;

/**
 * A connection that does not read fast enough, and what it is owed meanwhile.
 *
 * <p>The channel's write-buffer water marks are the trigger. Above the high mark each record gets its topic's
 * {@link SlowConsumerPolicy}: conflate (the newest value per key is held in the {@link Backlog}), drop (its
 * offset joins a range announced by a {@code Gap}), or disconnect. Once the channel is writable again (below
 * the low mark) the held records and {@code Gap}s are written, in order, before any newer record
 * ({@link #drain}). {@code ws.max.pending.bytes} bounds the outbound buffer plus what is held (here and by the
 * {@code max_rate} throttle): past it the connection must go, whatever the policy.
 *
 * <p>This class decides; the {@link Session} acts: {@link #write} and {@link #drain} return {@link #SLOW} when
 * the connection is to be closed as a slow consumer, and the session sends the {@code GoAway}, whose positions
 * stay below what is held here ({@link #earliestOffset}).
 *
 * <p>Made by the session the first time its connection falls behind; a connection that always keeps up never
 * has one. Event loop only (the connection's). Ownership: the backlog holds one reference of each held record
 * until it is written, replaced, no longer wanted or {@link #discard discarded}; frames go out through the
 * connection's {@link OutboundWriter}.
 */
final class Backpressure implements Backlog.Writer {

    /** What {@link #write} and {@link #drain} return when the connection is to be closed as a slow consumer. */
    static final int SLOW = -1;
    /** Reason of the GoAway, Gap and close frame a slow consumer gets. */
    static final String SLOW_CONSUMER = "slow consumer";

    private final OutboundWriter out;
    private final Subprotocol protocol;
    private final ByteBufAllocator alloc;
    private final SlowConsumerPolicies policies;
    private final GatewayMetrics metrics;
    /** What the connection is owed; made when the first record is held or dropped. */
    private Backlog backlog;
    /** A held record could not be written within {@code ws.max.pending.bytes} while draining. */
    private boolean overBound;

    Backpressure(OutboundWriter out, Subprotocol protocol, ByteBufAllocator alloc, SlowConsumerPolicies policies,
                 GatewayMetrics metrics) {
        this.out = out;
        this.protocol = protocol;
        this.alloc = alloc;
        this.policies = policies;
        this.metrics = metrics;
    }

    /** Whether records or {@code Gap}s are held for the connection: a newer record must wait for them. */
    boolean owes() {
        return backlog != null && !backlog.isEmpty();
    }

    /** Bytes held here, as counted against {@code ws.max.pending.bytes}. */
    long heldBytes() {
        return backlog == null ? 0 : backlog.heldBytes();
    }

    /**
     * {@code record} arrives while the connection is above its high water mark or is owed records: write it
     * if that turns out possible after all, else apply its slow-consumer policy. Returns the bytes written, 0,
     * or {@link #SLOW}.
     *
     * @param flushPending   whether the current drain wrote to the connection without flushing yet
     * @param throttledBytes what the connection's {@code max_rate} throttle holds
     */
    int write(EncodedRecord record, boolean flushPending, long throttledBytes) {
        if (!owes() && flushPending) {
            // Part of what is queued may be this very drain's writes, not yet handed to the socket: hand them
            // over first, so that only a connection whose socket is really full counts as behind.
            out.flush();
            if (!out.isOpen()) {
                return 0;
            }
            if (out.writable()) {
                return gathered(out.gather(record));
            }
        }
        if (out.writable() && owes()) {
            // Caught up, and the writability event has not been handled yet: pay what is owed first.
            if (drain() == SLOW) {
                return SLOW;
            }
            if (!owes() && out.writable()) {
                return gathered(out.gather(record));
            }
        }
        SlowConsumerPolicy policy = policies.policyFor(record.topic(), record.key());
        if (policy == SlowConsumerPolicy.DISCONNECT) {
            return SLOW;
        }
        if (backlog == null) {
            backlog = new Backlog(protocol, alloc, metrics);
        }
        if (policy == SlowConsumerPolicy.CONFLATE && record.key() != null) {
            if (backlog.conflate(record)) {
                metrics.recordsConflated(1);
            }
        } else {
            backlog.drop(record);
            metrics.recordsDropped(1);
        }
        if (out.queuedBytes() + backlog.heldBytes() + throttledBytes > out.maxPendingBytes()) {
            return SLOW;
        }
        return 0;
    }

    private static int gathered(int written) {
        return written == OutboundWriter.OVER_BOUND ? SLOW : written;
    }

    /**
     * Writes what is owed (conflated records and {@code Gap}s, in order) for as long as the channel stays
     * writable, and flushes. Returns 0, or {@link #SLOW} when a held record would pass
     * {@code ws.max.pending.bytes}.
     */
    int drain() {
        if (!owes() || !out.channelWritable()) {
            return 0;
        }
        backlog.drainTo(this);
        out.flush();
        return overBound ? SLOW : 0;
    }

    /**
     * The lowest offset of {@code topic}'s {@code partition} held or dropped here, or {@link Long#MAX_VALUE}:
     * the client has not seen it, so its resume position in that partition must stay below it.
     */
    long earliestOffset(String topic, int partition) {
        return owes() ? backlog.earliestOffset(topic, partition) : Long.MAX_VALUE;
    }

    /** Releases and forgets the held records {@code keep} rejects, e.g. those no subscription wants any more. */
    void retainRecords(Predicate<EncodedRecord> keep) {
        if (owes()) {
            backlog.retainRecords(keep);
        }
    }

    /** Releases everything held: the connection is closing. Idempotent. */
    void discard() {
        if (backlog != null) {
            backlog.discard();
        }
    }

    // ---- Backlog.Writer: what drain hands out ---------------------------------------------------------

    @Override
    public boolean writable() {
        return !overBound && out.channelWritable();
    }

    @Override
    public void record(EncodedRecord record) {
        int written = out.gather(record);
        if (written == OutboundWriter.OVER_BOUND) {
            overBound = true;
        } else if (written > 0) {
            metrics.delivered(1, written);
        }
    }

    @Override
    public void gap(String topic, int partition, long fromOffset, long toOffset) {
        out.writeFrame(ServerFrames.gap(topic, partition, fromOffset, toOffset, SLOW_CONSUMER));
        metrics.gapSent();
    }
}
