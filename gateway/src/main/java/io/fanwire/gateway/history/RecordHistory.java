package io.fanwire.gateway.history;

import io.fanwire.gateway.codec.EncodedRecord;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every served partition's {@link PartitionLog}: how far this node has read it, and its recent records.
 * Resume reads it (records from memory; where live delivery starts) and so do {@code Subscribed} replies and
 * {@code GoAway} frames (positions).
 *
 * <p>Threads: the ingest thread registers partitions and appends records; any thread looks them up. Each
 * topic's partitions are an array replaced whole when a partition is added, so lookups take no lock.
 */
public final class RecordHistory {

    private static final PartitionLog[] NONE = new PartitionLog[0];

    private final long maxBytesPerPartition;
    private final int loops;
    private final ConcurrentHashMap<String, PartitionLog[]> topics = new ConcurrentHashMap<>();

    /**
     * @param maxBytesPerPartition the history budget of each partition ({@code history.partition.max.bytes});
     *                             0 keeps no records, only positions
     * @param loops                the number of event loops, each of which reports what it has processed
     */
    public RecordHistory(long maxBytesPerPartition, int loops) {
        this.maxBytesPerPartition = maxBytesPerPartition;
        this.loops = loops;
    }

    /** Ingest thread: the ingest reads {@code partition} of {@code topic} from {@code nextOffset} on. */
    public void register(String topic, int partition, long nextOffset) {
        PartitionLog[] current = topics.getOrDefault(topic, NONE);
        if (partition < current.length && current[partition] != null) {
            return;
        }
        PartitionLog[] grown = Arrays.copyOf(current, Math.max(current.length, partition + 1));
        grown[partition] = new PartitionLog(topic, partition, nextOffset, maxBytesPerPartition, loops);
        topics.put(topic, grown);
    }

    /** Ingest thread: records {@code record}, just read, in its partition's log. */
    public void append(EncodedRecord record) {
        PartitionLog log = partition(record.topic(), record.partition());
        if (log != null) {
            log.append(record.offset(), record.key(), record.message(), record.size());
        }
    }

    /**
     * Any thread: the partitions of {@code topic} known so far, indexed by partition number; empty while the
     * topic is not assigned. Do not modify. An element may be null while a partition is being added.
     */
    public PartitionLog[] partitions(String topic) {
        return topics.getOrDefault(topic, NONE);
    }

    /** Any thread: one partition's log, or null if unknown. */
    public PartitionLog partition(String topic, int partition) {
        PartitionLog[] logs = topics.get(topic);
        return logs == null || partition >= logs.length ? null : logs[partition];
    }

    /** The number of event loops that report positions. */
    public int loops() {
        return loops;
    }
}
