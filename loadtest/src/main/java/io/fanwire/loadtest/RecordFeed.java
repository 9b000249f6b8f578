package io.fanwire.loadtest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The records a simulation produces into Kafka, as an operator's producer application would: {@code rate}
 * records per second, round robin over the keys the users' channels cover, each value {@code payloadBytes}
 * long. Every record carries three headers: {@value #RUN_HEADER} (this run, so that other producers' records
 * and older runs are ignored), {@value #SEQ_HEADER} (its number among this run's records of its key, from
 * 0) and {@value #SENT_HEADER} (wall-clock milliseconds just before {@code send}, the start of its delivery
 * latency). Subscribers ({@link DeliveryLedger}) check per key that every number arrives once and in order.
 *
 * <p>Threads: one, {@code loadtest-record-feed}, paces and sends; the Kafka producer's I/O thread calls the
 * {@link AckListener}. The per-key counters are read from any thread (the virtual users' event loops).
 * Producer options: {@code acks=all} and {@code linger.ms=0}, because each record is timed; any of them
 * can be replaced through {@code fanwire.kafka.*}.
 */
public final class RecordFeed implements ProducedRecords, AutoCloseable {

    public static final String RUN_HEADER = "loadtest-run";
    public static final String SEQ_HEADER = "loadtest-seq";
    public static final String SENT_HEADER = "loadtest-sent-ms";
    /** Key of the one record {@link #connect} sends before the run. */
    public static final String WARM_UP_KEY = "loadtest-warm-up";
    private static final java.time.Duration WARM_UP_TIMEOUT = java.time.Duration.ofSeconds(30);

    /** Called once per record when Kafka acknowledged it, or failed to. */
    @FunctionalInterface
    public interface AckListener {
        /** {@code error} is null on success; otherwise one line saying why. */
        void onAck(long sentMillis, long ackMillis, String error);
    }

    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, Object> producerConfig;
    private final String topic;
    private final List<String> keys;
    private final Map<String, Integer> keyIndex = new HashMap<>();
    private final double ratePerSecond;
    private final byte[] value;
    private final AtomicLongArray nextSeq;
    private final ConcurrentSkipListSet<Long>[] failedSeqs;
    private volatile KafkaProducer<byte[], byte[]> producer;
    private volatile Thread thread;
    private volatile boolean running = true;
    private volatile long finishedAtMillis = -1;

    @SuppressWarnings("unchecked")
    public RecordFeed(Map<String, Object> producerConfig, String topic, List<String> keys, double ratePerSecond,
                      int payloadBytes) {
        this.producerConfig = Map.copyOf(producerConfig);
        this.topic = Objects.requireNonNull(topic);
        this.keys = List.copyOf(keys);
        if (this.keys.isEmpty()) {
            throw new IllegalArgumentException("the feed needs at least one key");
        }
        for (int i = 0; i < this.keys.size(); i++) {
            keyIndex.put(this.keys.get(i), i);
        }
        if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException(Knob.RATE.key() + " must be 0 or more, was " + ratePerSecond);
        }
        this.ratePerSecond = ratePerSecond;
        this.value = value(payloadBytes);
        this.nextSeq = new AtomicLongArray(this.keys.size());
        this.failedSeqs = new ConcurrentSkipListSet[this.keys.size()];
        Arrays.setAll(failedSeqs, i -> new ConcurrentSkipListSet<Long>());
    }

    /**
     * Creates the producer and makes it ready before the load starts: it learns the topic's partitions and
     * sends one warm-up record (key {@value #WARM_UP_KEY}, no run header, so every subscriber ignores it)
     * with a bounded wait. A cold producer otherwise spends its first seconds on metadata and its producer
     * id while the clock of the first records runs. Blocks; call before the users start.
     *
     * @throws IllegalStateException with Kafka's reason when it cannot produce to the topic
     */
    public synchronized void connect() {
        if (producer != null || ratePerSecond == 0) {
            return;
        }
        Map<String, Object> config = new HashMap<>(producerConfig);
        config.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "fanwire-loadtest-" + runId);
        KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        try {
            p.partitionsFor(topic);
            p.send(new ProducerRecord<>(topic, WARM_UP_KEY.getBytes(StandardCharsets.UTF_8), value))
                    .get(WARM_UP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            p.close(java.time.Duration.ZERO);
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null
                    ? e.getCause() : e;
            throw new IllegalStateException("cannot produce to topic " + topic + " at "
                    + producerConfig.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG) + ": " + oneLine(cause), cause);
        }
        producer = p;
    }

    /**
     * Starts producing now, until {@code untilMillis} (wall clock) or {@link #close}; {@link #connect} first.
     * With a rate of 0 the feed is finished at once and produces nothing.
     */
    public synchronized void start(long untilMillis, AckListener listener) {
        if (thread != null) {
            throw new IllegalStateException("the feed has already started");
        }
        if (producer == null && ratePerSecond > 0) {
            throw new IllegalStateException("connect() the feed before starting it");
        }
        Thread t = new Thread(() -> run(untilMillis, listener), "loadtest-record-feed");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void run(long untilMillis, AckListener listener) {
        try {
            if (ratePerSecond == 0) {
                return;
            }
            long startNanos = System.nanoTime();
            byte[] run = runId.getBytes(StandardCharsets.UTF_8);
            for (long i = 0; running && System.currentTimeMillis() < untilMillis; i++) {
                long wait = startNanos + (long) (i * 1e9 / ratePerSecond) - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                int k = (int) (i % keys.size());
                long seq = nextSeq.getAndIncrement(k);
                send(k, seq, run, listener);
            }
            producer.flush();
        } finally {
            finishedAtMillis = System.currentTimeMillis();
        }
    }

    private void send(int k, long seq, byte[] run, AckListener listener) {
        long sent = System.currentTimeMillis();
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, sent,
                keys.get(k).getBytes(StandardCharsets.UTF_8), value, List.of(
                new RecordHeader(RUN_HEADER, run),
                new RecordHeader(SEQ_HEADER, Long.toString(seq).getBytes(StandardCharsets.UTF_8)),
                new RecordHeader(SENT_HEADER, Long.toString(sent).getBytes(StandardCharsets.UTF_8))));
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    failedSeqs[k].add(seq);
                }
                listener.onAck(sent, System.currentTimeMillis(), error == null ? null : oneLine(error));
            });
        } catch (RuntimeException e) {
            failedSeqs[k].add(seq);
            listener.onAck(sent, System.currentTimeMillis(), oneLine(e));
        }
    }

    private static String oneLine(Throwable error) {
        return (error.getClass().getSimpleName() + ": " + error.getMessage()).replace('\n', ' ');
    }

    /** A JSON string value of exactly {@code bytes} bytes, so that topics served as {@code json} carry it as is. */
    private static byte[] value(int bytes) {
        if (bytes < 2) {
            throw new IllegalArgumentException(Knob.PAYLOAD_BYTES.key() + " must be 2 or more, was " + bytes);
        }
        byte[] v = new byte[bytes];
        Arrays.fill(v, (byte) 'x');
        v[0] = '"';
        v[bytes - 1] = '"';
        return v;
    }

    @Override
    public String runId() {
        return runId;
    }

    public String topic() {
        return topic;
    }

    @Override
    public List<String> keys() {
        return keys;
    }

    @Override
    public int keyIndex(String key) {
        return keyIndex.getOrDefault(key, -1);
    }

    @Override
    public long nextSeq(int k) {
        return nextSeq.get(k);
    }

    @Override
    public int failedBetween(int k, long from, long to) {
        return from >= to ? 0 : failedSeqs[k].subSet(from, to).size();
    }

    /** True once the feed has stopped producing and every record it sent is acknowledged or failed. */
    public boolean finished() {
        return finishedAtMillis >= 0;
    }

    /** When the feed finished (wall-clock milliseconds), or -1. */
    public long finishedAtMillis() {
        return finishedAtMillis;
    }

    /** Stops producing and closes the producer, waiting up to 10 s for outstanding records. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        KafkaProducer<byte[], byte[]> p = producer;
        if (p != null) {
            p.close(java.time.Duration.ofSeconds(10));
        }
    }
}
