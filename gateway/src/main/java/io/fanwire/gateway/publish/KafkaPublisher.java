package io.fanwire.gateway.publish;

import io.fanwire.gateway.subscription.ChannelName;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces client publishes to Kafka with {@code acks=all}. The returned future completes once the broker
 * acknowledged, or fails by {@code publish.timeout.ms} at the latest; the caller hops back to its event loop
 * before touching the connection.
 *
 * <p>{@link KafkaProducer#send} is not asynchronous all the way: it blocks its caller while it waits for the
 * topic's metadata (up to {@code max.block.ms}, here at most one second) or for room in its buffer. An event loop
 * that blocked there would stall every connection it serves, so {@link #publish} only queues the record for the
 * publisher's own thread, {@code fanwire-publish}, which calls {@code send}. That thread asks for the served
 * topics' metadata at start-up, so that the first publishes do not wait for it. A publish to a topic Kafka has
 * no metadata for (it does not exist, or its leader is unknown) holds that thread, and the publishes queued
 * behind it, for up to {@code max.block.ms}; each still answers within {@code publish.timeout.ms}.
 *
 * <p>Threads: {@link #publish} from any thread; {@code send} on {@code fanwire-publish}; the futures complete on
 * the producer's I/O thread, that thread or the JDK's delay scheduler (timeouts). Payloads are heap arrays owned
 * by the record once passed in.
 */
public final class KafkaPublisher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaPublisher.class);
    /** Most time {@code send} may wait for a topic's metadata (or buffer space) on the publisher's thread. */
    private static final int MAX_BLOCK_MS = 1_000;

    private final KafkaProducer<byte[], byte[]> producer;
    private final Duration timeout;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "fanwire-publish");
        thread.setDaemon(true);
        return thread;
    });

    public KafkaPublisher(PublishSettings settings) {
        Duration timeout = settings.timeout();
        List<String> topics = settings.topics();
        Map<String, Object> props = new HashMap<>(settings.kafka());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "fanwire-publisher");
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.min(timeoutMs, MAX_BLOCK_MS));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.timeout = timeout;
        List<String> served = List.copyOf(topics);
        sender.execute(() -> served.forEach(this::fetchMetadata));
    }

    private void fetchMetadata(String topic) {
        try {
            producer.partitionsFor(topic);
        } catch (RuntimeException e) {
            log.debug("no metadata for {} yet: {}", topic, e.toString());
        }
    }

    /**
     * Queues one record for the channel's topic, keyed by the channel's key (none for a whole topic); never
     * blocks. The future fails with a {@link java.util.concurrent.TimeoutException} when the acknowledgement has
     * not come within {@code publish.timeout.ms}, whatever held it up.
     */
    public CompletableFuture<RecordMetadata> publish(ChannelName channel, byte[] payload, Map<String, String> headers) {
        byte[] key = channel.key() == null ? null : channel.key().getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(channel.topic(), key, payload);
        headers.forEach((name, value) -> record.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
        CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
        try {
            sender.execute(() -> send(record, result));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("the gateway is shutting down"));
        }
        return result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** On the publisher's thread: may block up to {@code max.block.ms}. */
    private void send(ProducerRecord<byte[], byte[]> record, CompletableFuture<RecordMetadata> result) {
        if (result.isDone()) {
            return;
        }
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
    }

    @Override
    public void close() {
        sender.shutdown();
        try {
            sender.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
