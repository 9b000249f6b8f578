package io.fanwire.gateway.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** A plain Kafka producer against the shared test broker, as a producer app would use it. */
public final class TestProducer implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;

    public TestProducer() {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends and waits for the broker's acknowledgement. {@code key} may be null. */
    public RecordMetadata send(String topic, String key, String value) throws Exception {
        return sendAsync(topic, key, value).get(WsTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Sends without waiting; {@link #flush} waits for everything sent so far. */
    public java.util.concurrent.Future<RecordMetadata> sendAsync(String topic, String key, String value) {
        return producer.send(new ProducerRecord<>(topic,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Writes one keyless record to each of {@code topic}'s first {@code partitions} partitions and waits for
     * each: a bulk of sends right after the topic's creation can otherwise meet partitions the broker is still
     * setting up, and the idempotent producer's retries of the first batch then fail with out-of-order sequence
     * numbers for good. Keyless records are part of no snapshot and no keyed channel.
     */
    public void awaitPartitions(String topic, int partitions) throws Exception {
        for (int p = 0; p < partitions; p++) {
            producer.send(new ProducerRecord<>(topic, p, null, "ready".getBytes(StandardCharsets.UTF_8)))
                    .get(WsTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
