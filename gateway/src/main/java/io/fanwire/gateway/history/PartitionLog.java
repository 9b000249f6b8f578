package io.fanwire.gateway.history;

import io.fanwire.protocol.v1.ServerFrame;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * What this node knows of one partition of a served topic: the offset up to which the ingest thread has read
 * it ({@link #lastOffset}), the most recent records it read, bounded in bytes ({@code history.partition.max.bytes}),
 * and, per event loop, the last offset that loop's fan-out has processed ({@link #loopPosition}).
 *
 * <p>The history is complete from {@link #startOffset} to {@link #lastOffset}: every record of the partition
 * in that range is in it (offsets that hold no record, such as transaction markers, are simply absent).
 * Older records are evicted first; they are still in Kafka, where a catch-up reader finds them.
 *
 * <p>Threads: the ingest thread is the only writer of the history and the offsets ({@link #append}); event
 * loops read them without locks ({@link #read}). Eviction moves {@link #startOffset} forward BEFORE it
 * removes an entry, and {@link #read} checks {@link #startOffset} AFTER reading, so a reader never mistakes a
 * range with evicted records for a complete one. Loop positions: slot {@code i} is written and read by event
 * loop {@code i} only. Entries hold heap objects only, no reference-counted buffers.
 */
public final class PartitionLog {

    private final String topic;
    private final int partition;
    private final long maxBytes;
    private final ConcurrentSkipListMap<Long, HistoryEntry> entries = new ConcurrentSkipListMap<>();
    private final long[] loopPositions;
    private volatile long startOffset;
    private volatile long lastOffset;
    private long bytes;

    /**
     * A partition whose ingest reads from {@code nextOffset} on: the history is (trivially) complete from
     * there, and everything before it is counted as read.
     */
    PartitionLog(String topic, int partition, long nextOffset, long maxBytes, int loops) {
        this.topic = topic;
        this.partition = partition;
        this.maxBytes = maxBytes;
        this.startOffset = nextOffset;
        this.lastOffset = nextOffset - 1;
        this.loopPositions = new long[loops];
        Arrays.fill(loopPositions, nextOffset - 1);
    }

    public String topic() {
        return topic;
    }

    public int partition() {
        return partition;
    }

    /** The offset of the last record the ingest thread has read (or, before any, the one before its start). */
    public long lastOffset() {
        return lastOffset;
    }

    /** The history holds every record from this offset to {@link #lastOffset}. */
    public long startOffset() {
        return startOffset;
    }

    /** Ingest thread: adds the record just read, then evicts the oldest records past the byte budget. */
    void append(long offset, String key, ServerFrame frame, int size) {
        if (maxBytes > 0) {
            entries.put(offset, new HistoryEntry(offset, key, frame, size));
            bytes += size;
        }
        lastOffset = offset;
        while (bytes > maxBytes || (maxBytes == 0 && startOffset <= offset)) {
            Map.Entry<Long, HistoryEntry> oldest = entries.firstEntry();
            if (oldest == null) {
                startOffset = offset + 1;
                break;
            }
            startOffset = oldest.getKey() + 1;
            entries.remove(oldest.getKey());
            bytes -= oldest.getValue().bytes();
        }
    }

    /**
     * Any thread: adds to {@code out} up to {@code max} entries with offsets from {@code from} on, in offset
     * order, and returns true; or returns false when the history no longer (or never) held all records from
     * {@code from} on, in which case {@code out}'s new content must be ignored.
     */
    public boolean read(long from, int max, List<HistoryEntry> out) {
        if (from < startOffset) {
            return false;
        }
        Iterator<HistoryEntry> it = entries.tailMap(from, true).values().iterator();
        for (int n = 0; n < max && it.hasNext(); n++) {
            out.add(it.next());
        }
        return from >= startOffset;
    }

    /**
     * Event loop {@code loop} only: the last offset of this partition its fan-out has processed. A loop that has
     * no subscriber of the topic is handed no record of it, so its position stays where it was: behind, never
     * ahead. Its readers only compare it with a start or replay cursor to decide whether a live record at or
     * below that offset may still be queued for the loop; behind, they assume one may be, and skip records up
     * to the cursor, which the first live record after it ends. Conservative, never lossy, so it is left so
     * rather than writing every loop's slot for every record.
     */
    public long loopPosition(int loop) {
        return loopPositions[loop];
    }

    /** Event loop {@code loop} only: its fan-out has processed the record at {@code offset}. */
    public void loopProcessed(int loop, long offset) {
        loopPositions[loop] = offset;
    }

    @Override
    public String toString() {
        return topic + '-' + partition;
    }
}
