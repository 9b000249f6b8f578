package io.fanwire.benchmarks.e2e;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Kafka's own floor under the end-to-end latency: a bare consumer, configured as the gateway's ingest consumer
 * is, reading the topic under test during the same window, recording producer send → {@code poll()} return for
 * each record (the binary values' first 8 bytes). No server can deliver a record sooner than its consumer is
 * handed it, so the swarm's figures minus these are what the server under test adds.
 *
 * <p>A thread of the runner's JVM, not a process of its own: that JVM otherwise runs only the producer (at most
 * a few thousand records a second at the default client counts) and the threads that read the children's
 * output, so the consumer is neither starved nor slowed by a collector working for someone else; and the runner
 * starts it with the server, so it is warm by the window like the server's consumer is. A process of its own
 * would add one more JVM competing for the two shared cores (the gateway's consumer competes with its own
 * event loops instead). Either way it shares the machine with everything else, as the gateway does: that is the
 * floor on this machine, which is the point.
 */
final class KafkaFloor implements AutoCloseable {

    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Recorder ageMicros = new Recorder(60_000_000L, 3);
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts reading every partition of {@code topic} from its end. */
    KafkaFloor(String bootstrap, String topic) {
        this.consumer = new KafkaConsumer<>(properties(bootstrap), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        this.thread = new Thread(this::run, "kafka-floor");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * The gateway's ingest consumer settings: {@code KafkaIngest.consumerProperties} (no group, assign(),
     * {@code enable.auto.commit=false}, {@code auto.offset.reset=latest}, {@code fetch.max.wait.ms=100}, the
     * client defaults otherwise, {@code fetch.min.bytes=1} among them), {@code isolation.level=read_committed}
     * ({@code GatewayConfig.consumerKafka}, default of {@code ingest.isolation.level}), and {@code poll(100 ms)}
     * ({@code KafkaIngest.POLL_TIMEOUT}). The runner starts Fanwire with no {@code kafka.*} overrides.
     */
    private static Map<String, Object> properties(String bootstrap) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "benchmark-kafka-floor");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return props;
    }

    private void run() {
        try {
            while (running) {
                var records = consumer.poll(POLL_TIMEOUT);
                long now = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    byte[] value = record.value();
                    if (value != null && value.length >= 8) {
                        long sent = 0;
                        for (int b = 0; b < 8; b++) {
                            sent = (sent << 8) | (value[b] & 0xFF);
                        }
                        ageMicros.recordValue(Math.max(0, Math.min((now - sent) / 1_000, 60_000_000L)));
                    }
                }
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /** Starts a measurement window: drops what was recorded so far. */
    void reset() {
        ageMicros.reset();
    }

    /** Record ages (microseconds) since the last reset or snapshot. */
    Histogram snapshot() {
        return ageMicros.getIntervalHistogram();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5_000);
    }
}
