package io.fanwire.gateway.publish;

import io.fanwire.gateway.subscription.ChannelName;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces client publishes to Kafka with {@code acks=all}. The returned future completes on the
 * producer's I/O thread once the broker acknowledged, or fails after {@code publish.timeout.ms}; the
 * caller hops back to its event loop before touching the connection.
 *
 * <p>Thread-safe (one shared {@link KafkaProducer}).
 */
public final class KafkaPublisher implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;

    public KafkaPublisher(Map<String, String> kafkaProperties, Duration timeout) {
        Map<String, Object> props = new HashMap<>(kafkaProperties);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "fanwire-publisher");
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.min(timeoutMs, 1_000));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Produces one record to the channel's topic, keyed by the channel's key (none for a whole topic). */
    public CompletableFuture<RecordMetadata> publish(ChannelName channel, byte[] payload, Map<String, String> headers) {
        byte[] key = channel.key() == null ? null : channel.key().getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(channel.topic(), key, payload);
        headers.forEach((name, value) -> record.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    result.complete(metadata);
                } else {
                    result.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
