package io.fanwire.benchmarks.chaos;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes sequence-numbered records: key {@code PREFIX-NN}, value the decimal sequence number of that key
 * (0, 1, 2, ...), round robin over the keys at a fixed rate, with an idempotent producer ({@code acks=all}), so
 * Kafka holds each key's records once and in order. Records whose send failed are remembered: a verifier does
 * not count them as lost.
 *
 * <p>Threads: its own, {@code chaos-producer}; the callbacks run on the producer's I/O thread; the accessors are
 * safe from any thread.
 */
final class SequenceProducer implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final String[] keys;
    private final int ratePerSecond;
    private final AtomicLongArray nextSeq;
    private final AtomicLongArray acked;
    private final ConcurrentHashMap.KeySetView<String, Boolean> failed = ConcurrentHashMap.newKeySet();
    private final AtomicLong sent = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    SequenceProducer(String bootstrap, String topic, String[] keys, int ratePerSecond) {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.setProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "180000");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
        this.keys = keys;
        this.ratePerSecond = ratePerSecond;
        this.nextSeq = new AtomicLongArray(keys.length);
        this.acked = new AtomicLongArray(keys.length);
        this.thread = new Thread(this::run, "chaos-producer");
    }

    void start() {
        thread.start();
    }

    private void run() {
        long interval = 1_000_000_000L / ratePerSecond;
        long next = System.nanoTime();
        int k = 0;
        while (running) {
            int key = k;
            long seq = nextSeq.getAndIncrement(key);
            producer.send(new ProducerRecord<>(topic, keys[key].getBytes(StandardCharsets.UTF_8),
                    Long.toString(seq).getBytes(StandardCharsets.US_ASCII)), (metadata, error) -> {
                        if (error == null) {
                            acked.incrementAndGet(key);
                        } else {
                            failed.add(key + ":" + seq);
                        }
                    });
            sent.incrementAndGet();
            k = (k + 1) % keys.length;
            next += interval;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            } else if (-sleep > 1_000_000_000L) {
                // send() blocked (no broker for a partition): resume the rate, do not burst to catch up
                next = System.nanoTime();
            }
        }
    }

    /** Stops sending and waits until every record sent is acknowledged or failed. */
    void stop() throws InterruptedException {
        running = false;
        thread.join();
        producer.flush();
    }

    /** Records sent for key index {@code key}: sequence numbers 0 to this minus one. */
    long sentFor(int key) {
        return nextSeq.get(key);
    }

    long acknowledged() {
        long total = 0;
        for (int i = 0; i < keys.length; i++) {
            total += acked.get(i);
        }
        return total;
    }

    boolean failed(int key, long seq) {
        return failed.contains(key + ":" + seq);
    }

    int failedCount() {
        return failed.size();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
