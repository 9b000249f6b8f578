package io.fanwire.gateway.history;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fanwire.gateway.codec.EncodedRecord;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The last value of each key of the snapshot topics ({@code snapshot.topics}): what {@code Subscribe{snapshot}}
 * sends first. One Caffeine cache per topic, bounded in bytes ({@code snapshot.topic.max.bytes}); when a topic
 * has more keys than fit, Caffeine evicts by its Window TinyLFU policy, which weighs how often and how lately
 * each key was written (a new key may be the one evicted), and the evicted keys are missing from snapshots
 * until written again. A record with a null value (a tombstone, as on compacted topics) deletes its key.
 *
 * <p>What a key costs: its record's frame twice (the {@code Message} kept to encode from, and the snapshot frame
 * encoded once for every connection, {@link LastValue#snapshotFrame}), the key, and a fixed overhead. A JSON
 * snapshot frame, made only when a JSON connection takes a snapshot, comes on top.
 *
 * <p>Threads: the ingest thread writes ({@link #record}); event loops read ({@link #values}) without locks.
 * Entries hold the same immutable {@code Message} objects as the history, no reference-counted buffers.
 */
public final class LastValues {

    /** What one key costs beyond its frames: map entry, key string, entry objects (an estimate). */
    private static final int KEY_OVERHEAD_BYTES = 128;

    private final Map<String, Cache<String, LastValue>> topics = new HashMap<>();

    public LastValues(List<String> snapshotTopics, long maxBytesPerTopic) {
        for (String topic : snapshotTopics) {
            topics.put(topic, Caffeine.newBuilder()
                    .maximumWeight(maxBytesPerTopic)
                    .weigher((String key, LastValue value) -> 2 * value.bytes() + 2 * key.length() + KEY_OVERHEAD_BYTES)
                    .build());
        }
    }

    /** Whether {@code topic} keeps last values. Any thread. */
    public boolean keeps(String topic) {
        return topics.containsKey(topic);
    }

    /** Ingest thread: {@code record} is its key's newest value, or, when {@code tombstone}, deletes the key. */
    public void record(EncodedRecord record, boolean tombstone) {
        Cache<String, LastValue> values = topics.get(record.topic());
        if (values == null || record.key() == null) {
            return;
        }
        if (tombstone) {
            values.invalidate(record.key());
        } else {
            values.put(record.key(), new LastValue(record.offset(), record.key(), record.message(), record.size()));
        }
    }

    /**
     * Any thread: the last value of {@code key} of {@code topic}, or, when {@code key} is null, of every key of
     * the topic, in no particular order. The iteration is weakly consistent and may be held across event-loop
     * turns: it never fails while the ingest thread writes, a key written meanwhile may appear with its old or
     * its new value, and a key added or deleted meanwhile may or may not appear.
     */
    public Iterator<LastValue> values(String topic, String key) {
        Cache<String, LastValue> values = topics.get(topic);
        if (values == null) {
            return Collections.emptyIterator();
        }
        if (key != null) {
            LastValue value = values.getIfPresent(key);
            return value == null ? Collections.emptyIterator() : List.of(value).iterator();
        }
        return values.asMap().values().iterator();
    }

    /** The number of keys held for {@code topic} (an estimate while it changes). */
    public long size(String topic) {
        Cache<String, LastValue> values = topics.get(topic);
        return values == null ? 0 : values.estimatedSize();
    }
}
