package io.fanwire.benchmarks.e2e;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces records at a fixed rate, as a producer app would, each value carrying its send time
 * ({@link System#nanoTime()}, which on Linux is the system-wide monotonic clock, so the swarm processes can
 * subtract it from their own): binary values starting with it, or {@link RecordValues} such as
 * {@link JsonQuotes}. Keys are {@code K0..K(keys-1)}, chosen uniformly; the count per key lets the runner
 * compute how many deliveries were offered. Runs on its own thread.
 */
final class RateProducer implements AutoCloseable {

    /** The value of each record; called on the producer's thread only. */
    interface RecordValues {
        /** The value of a record of key number {@code key}, carrying {@code sendNanos}. */
        byte[] value(int key, long sendNanos);
    }

    private static final long TICK_NANOS = 1_000_000;

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final RecordValues values;
    private final AtomicLongArray sentPerKey;
    private final byte[][] keyBytes;
    private final Thread thread;
    private volatile double ratePerSecond;
    private volatile boolean running = true;

    /** Binary values of {@code payloadBytes} bytes (at least 8), the first 8 the send time, big-endian. */
    RateProducer(String bootstrap, String topic, int keys, int payloadBytes) {
        this(bootstrap, topic, keys, binary(payloadBytes));
    }

    RateProducer(String bootstrap, String topic, int keys, RecordValues values) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        // Batching keeps the broker's request rate, not its throughput, from limiting the offered load on
        // two shared cores: at linger 1 ms each record was its own request and the producer fell behind.
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "benchmark-producer");
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
        this.values = values;
        this.sentPerKey = new AtomicLongArray(keys);
        this.keyBytes = new byte[keys][];
        for (int i = 0; i < keys; i++) {
            keyBytes[i] = Subscriptions.key(i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        this.thread = new Thread(this::run, "benchmark-producer");
        this.thread.setDaemon(true);
    }

    void start(double recordsPerSecond) {
        ratePerSecond = recordsPerSecond;
        thread.start();
    }

    void rate(double recordsPerSecond) {
        ratePerSecond = recordsPerSecond;
    }

    private static RecordValues binary(int payloadBytes) {
        int size = Math.max(8, payloadBytes);
        return (key, sendNanos) -> {
            byte[] payload = new byte[size];
            for (int b = 0; b < 8; b++) {
                payload[b] = (byte) (sendNanos >>> (56 - 8 * b));
            }
            return payload;
        };
    }

    /** Records sent so far, in all. */
    long sent() {
        long total = 0;
        for (int i = 0; i < sentPerKey.length(); i++) {
            total += sentPerKey.get(i);
        }
        return total;
    }

    /** Records sent so far, per key index. */
    long[] sentPerKey() {
        long[] out = new long[sentPerKey.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = sentPerKey.get(i);
        }
        return out;
    }

    private void run() {
        SplittableRandom random = new SplittableRandom(7);
        double owed = 0;
        long next = System.nanoTime();
        while (running) {
            owed += ratePerSecond * TICK_NANOS / 1e9;
            for (; owed >= 1; owed--) {
                int key = random.nextInt(keyBytes.length);
                producer.send(new ProducerRecord<>(topic, keyBytes[key], values.value(key, System.nanoTime())));
                sentPerKey.incrementAndGet(key);
            }
            next += TICK_NANOS;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                LockSupport.parkNanos(sleep);
            } else if (-sleep > Duration.ofMillis(100).toNanos()) {
                next = System.nanoTime();
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
