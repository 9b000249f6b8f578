package io.fanwire.benchmarks.jmh;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

/**
 * Kafka records shaped like market data as the ingest thread receives them from {@code poll}: topic
 * {@value #TOPIC}, a short UTF-8 key, a create-time timestamp, no headers, and a payload of seeded random
 * bytes (the content does not change the protobuf cost; the JSON cost depends only on its length).
 */
final class SampleRecords {

    static final String TOPIC = "bench";

    private static final long EPOCH_MS = 1_764_130_000_000L;

    private SampleRecords() {
    }

    static ConsumerRecord<byte[], byte[]> record(long offset, String key, int payloadBytes) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        byte[] payload = new byte[payloadBytes];
        new Random(offset).nextBytes(payload);
        return new ConsumerRecord<>(TOPIC, 3, offset, EPOCH_MS + offset, TimestampType.CREATE_TIME,
                keyBytes.length, payload.length, keyBytes, payload, new RecordHeaders(), Optional.empty());
    }
}
