package io.fanwire.gateway.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes {@code KEY:SEQ} records over a fixed set of keys, SEQ counting from 0 per key, with an idempotent
 * producer (so a retry never writes a record twice and per-key order holds), either a fixed number at once or
 * at a steady rate on its own thread until stopped. {@link #sent} is what {@link SequenceLog#verdict} checks
 * against.
 */
public final class SequenceProducer implements AutoCloseable {

    private final String topic;
    private final String[] keys;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<String, Integer> sent = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private Thread thread;
    private long next;

    public SequenceProducer(String bootstrapServers, String topic, int keys) {
        this.topic = topic;
        this.keys = new String[keys];
        for (int i = 0; i < keys; i++) {
            this.keys[i] = "k" + i;
        }
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 2,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    public SequenceProducer(String topic, int keys) {
        this(TestKafka.bootstrapServers(), topic, keys);
    }

    /** Sends {@code count} records round-robin over the keys and waits until Kafka acknowledged them. */
    public void send(int count) {
        for (int i = 0; i < count; i++) {
            sendOne();
        }
        producer.flush();
        check();
    }

    private void sendOne() {
        String key = keys[(int) (next++ % keys.length)];
        int seq = sent.merge(key, 1, Integer::sum) - 1;
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
                (key + ":" + seq).getBytes(StandardCharsets.UTF_8)), (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                });
    }

    /** Starts sending {@code perSecond} records a second on a thread of its own, until {@link #stop}. */
    public void start(int perSecond) {
        running.set(true);
        long intervalNanos = 1_000_000_000L / perSecond;
        thread = new Thread(() -> {
            long due = System.nanoTime();
            while (running.get()) {
                sendOne();
                due += intervalNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
            }
        }, "sequence-producer");
        thread.start();
    }

    /** Stops the thread and waits until every record sent is acknowledged. */
    public void stop() throws InterruptedException {
        running.set(false);
        if (thread != null) {
            thread.join(WsTestClient.WAIT.toMillis());
        }
        producer.flush();
        check();
    }

    private void check() {
        Exception e = failure.get();
        if (e != null) {
            throw new AssertionError("the producer failed: " + e, e);
        }
    }

    /** Records sent per key (each key's sequence numbers are 0 to this minus one). */
    public Map<String, Integer> sent() {
        return Map.copyOf(sent);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        if (thread != null) {
            thread.join(WsTestClient.WAIT.toMillis());
        }
        producer.close(Duration.ofSeconds(5));
    }
}
