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

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
