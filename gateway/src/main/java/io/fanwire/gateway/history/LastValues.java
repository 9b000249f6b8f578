package io.fanwire.gateway.history;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fanwire.gateway.codec.EncodedRecord;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The last value of each key of the snapshot topics ({@code snapshot.topics}): what {@code Subscribe{snapshot}}
 * sends first. One Caffeine cache per topic, bounded in bytes ({@code snapshot.topic.max.bytes}, encoded frame
 * bytes plus a fixed cost per key); when a topic has more keys than fit, Caffeine evicts by its Window TinyLFU
 * policy, which weighs how often and how lately each key was written (a new key may be the one evicted), and
 * the evicted keys are missing from snapshots until written again. A record with a null value (a tombstone, as on
 * compacted topics) deletes its key.
 *
 * <p>Threads: the ingest thread writes ({@link #record}); event loops read ({@link #forEach}) without locks.
 * Entries hold the same immutable frame objects as the history, no reference-counted buffers.
 */
public final class LastValues {

    /** What one key costs beyond its frame: map entry, key string, entry object (an estimate). */
    private static final int KEY_OVERHEAD_BYTES = 96;

    private final Map<String, Cache<String, HistoryEntry>> topics = new HashMap<>();

    public LastValues(List<String> snapshotTopics, long maxBytesPerTopic) {
        for (String topic : snapshotTopics) {
            topics.put(topic, Caffeine.newBuilder()
                    .maximumWeight(maxBytesPerTopic)
                    .weigher((String key, HistoryEntry entry) -> entry.bytes() + 2 * key.length() + KEY_OVERHEAD_BYTES)
                    .build());
        }
    }

    /** Whether {@code topic} keeps last values. Any thread. */
    public boolean keeps(String topic) {
        return topics.containsKey(topic);
    }

    /** Ingest thread: {@code record} is its key's newest value, or, when {@code tombstone}, deletes the key. */
    public void record(EncodedRecord record, boolean tombstone) {
        Cache<String, HistoryEntry> values = topics.get(record.topic());
        if (values == null || record.key() == null) {
            return;
        }
        if (tombstone) {
            values.invalidate(record.key());
        } else {
            values.put(record.key(), new HistoryEntry(record.offset(), record.key(), record.message(), record.size()));
        }
    }

    /**
     * Any thread: hands {@code action} the last value of {@code key} of {@code topic}, or, when {@code key} is
     * null, of every key of the topic (in no particular order).
     */
    public void forEach(String topic, String key, Consumer<HistoryEntry> action) {
        Cache<String, HistoryEntry> values = topics.get(topic);
        if (values == null) {
            return;
        }
        if (key != null) {
            HistoryEntry entry = values.getIfPresent(key);
            if (entry != null) {
                action.accept(entry);
            }
        } else {
            values.asMap().values().forEach(action);
        }
    }

    /** The number of keys held for {@code topic} (an estimate while it changes). */
    public long size(String topic) {
        Cache<String, HistoryEntry> values = topics.get(topic);
        return values == null ? 0 : values.estimatedSize();
    }
}
