package io.fanwire.gateway.session;

import io.fanwire.gateway.history.HistoryEntry;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a {@link Replay} reads the records that the in-memory history no longer holds: in the gateway, the
 * shared catch-up readers, which seek in Kafka. Owned by this package, the side that calls it.
 *
 * <p>Threads: {@link #fetch} is called on an event loop and must not block it; the callback runs on any
 * thread and must only hand the chunk over to the loop. Chunks hold heap byte arrays only, and the same
 * entries may be handed to many connections (each encodes its frame once, for all of them).
 */
public interface OlderRecords {

    /**
     * Records of one partition, read from Kafka.
     *
     * @param logStart   the partition's first offset still in Kafka: offsets before it are gone (retention)
     * @param records    records with offsets at or after the requested one, in order; may be empty; shared
     * @param nextOffset the offset after the range this chunk covers: records between the requested offset and
     *                   it that are not in {@code records} do not exist (compacted away, or transaction markers)
     */
    record Chunk(long logStart, List<HistoryEntry> records, long nextOffset) {
    }

    /**
     * Asks for the records of {@code partition} from offset {@code from} on; {@code callback} gets one chunk
     * once Kafka answered (at most {@code max.poll.records} records; the caller asks again for the next).
     */
    void fetch(TopicPartition partition, long from, Consumer<Chunk> callback);
}
