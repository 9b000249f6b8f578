package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.subscription.ChannelName;
import io.netty.buffer.ByteBufAllocator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;

/**
 * What a connection that is behind is still owed, in the order it is owed: the newest record of each
 * conflated key, and the ranges of offsets dropped for it, one open range per partition.
 *
 * <p>Order: an entry moves to the end each time it is updated, so the entries of one partition stay in offset
 * order (a conflated key's entry is its newest record; a range's place is that of its last offset). A range is
 * closed by a conflated record of its partition, so a later drop starts a new range after that record and no
 * {@code Gap} covers a record that is delivered after it.
 *
 * <p>Event loop only (its session's). Ownership: holds one reference of each conflated record and releases it
 * when the record is handed to the writer, replaced by a newer one, or {@link #discard discarded}.
 */
final class Backlog {

    /** What one dropped-offsets range is counted as against {@code ws.max.pending.bytes}. */
    static final long RANGE_COST_BYTES = 64;

    /** Receives what the backlog hands back while the connection can take it. */
    interface Writer {
        boolean writable();

        /** Writes {@code record}'s frame; the backlog releases its reference afterwards. */
        void record(EncodedRecord record);

        void gap(String topic, int partition, long fromOffset, long toOffset);
    }

    /** Offsets {@code from..to} of a partition dropped for this connection. Identity-keyed in {@link #held}. */
    private static final class DropRange {
        final TopicPartition partition;
        final long from;
        long to;

        DropRange(TopicPartition partition, long offset) {
            this.partition = partition;
            this.from = offset;
            this.to = offset;
        }
    }

    private final Subprotocol protocol;
    private final ByteBufAllocator alloc;
    private final GatewayMetrics metrics;
    /** ChannelName → its newest EncodedRecord; DropRange → itself. Iteration order is delivery order. */
    private final LinkedHashMap<Object, Object> held = new LinkedHashMap<>();
    private final Map<TopicPartition, DropRange> openRanges = new HashMap<>();
    private long heldBytes;

    Backlog(Subprotocol protocol, ByteBufAllocator alloc, GatewayMetrics metrics) {
        this.protocol = protocol;
        this.alloc = alloc;
        this.metrics = metrics;
    }

    boolean isEmpty() {
        return held.isEmpty();
    }

    /** Bytes of the held record frames, plus {@link #RANGE_COST_BYTES} per open range. */
    long heldBytes() {
        return heldBytes;
    }

    /**
     * Keeps {@code record} (a keyed one; the caller's reference stays the caller's) as the newest value of its
     * key; returns true when it replaced an older value, which is released.
     */
    boolean conflate(EncodedRecord record) {
        ChannelName key = new ChannelName(record.topic(), record.key());
        Object older = held.remove(key);
        if (older != null) {
            release((EncodedRecord) older);
        }
        held.put(key, record.retain());
        addHeld(size(record));
        openRanges.remove(new TopicPartition(record.topic(), record.partition()));
        return older != null;
    }

    /** Adds {@code record}'s offset to its partition's open dropped range. Keeps no reference. */
    void drop(EncodedRecord record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        DropRange range = openRanges.get(partition);
        if (range == null) {
            range = new DropRange(partition, record.offset());
            openRanges.put(partition, range);
            addHeld(RANGE_COST_BYTES);
        } else {
            held.remove(range);
            range.to = record.offset();
        }
        held.put(range, range);
    }

    /** Hands entries to {@code writer}, oldest first, while it is writable. */
    void drainTo(Writer writer) {
        Iterator<Object> entries = held.values().iterator();
        while (entries.hasNext() && writer.writable()) {
            Object next = entries.next();
            entries.remove();
            if (next instanceof EncodedRecord record) {
                addHeld(-size(record));
                try {
                    writer.record(record);
                } finally {
                    record.release();
                }
            } else {
                DropRange range = (DropRange) next;
                openRanges.remove(range.partition, range);
                addHeld(-RANGE_COST_BYTES);
                writer.gap(range.partition.topic(), range.partition.partition(), range.from, range.to);
            }
        }
    }

    /**
     * The lowest offset of {@code topic}'s {@code partition} held or dropped here, or {@link Long#MAX_VALUE}:
     * the client has not seen it, so its resume position in that partition must stay below it.
     */
    long earliestOffset(String topic, int partition) {
        long earliest = Long.MAX_VALUE;
        for (Object entry : held.values()) {
            if (entry instanceof EncodedRecord record) {
                if (record.partition() == partition && record.topic().equals(topic)) {
                    earliest = Math.min(earliest, record.offset());
                }
            } else {
                DropRange range = (DropRange) entry;
                if (range.partition.partition() == partition && range.partition.topic().equals(topic)) {
                    earliest = Math.min(earliest, range.from);
                }
            }
        }
        return earliest;
    }

    /** Releases and forgets the held records {@code keep} rejects, e.g. those no subscription wants any more. */
    void retainRecords(Predicate<EncodedRecord> keep) {
        Iterator<Object> entries = held.values().iterator();
        while (entries.hasNext()) {
            if (entries.next() instanceof EncodedRecord record && !keep.test(record)) {
                entries.remove();
                release(record);
            }
        }
    }

    /** Releases every held record and forgets every range: the connection is gone. */
    void discard() {
        for (Object entry : held.values()) {
            if (entry instanceof EncodedRecord record) {
                record.release();
            }
        }
        held.clear();
        openRanges.clear();
        addHeld(-heldBytes);
    }

    private void release(EncodedRecord record) {
        addHeld(-size(record));
        record.release();
    }

    private void addHeld(long delta) {
        heldBytes += delta;
        metrics.heldBytesChanged(delta);
    }

    private int size(EncodedRecord record) {
        return record.frame(protocol, alloc).readableBytes();
    }
}
