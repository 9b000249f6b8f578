package io.fanwire.gateway.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes {@code KEY:SEQ} records over a fixed set of keys, SEQ counting from 0 per key, with an idempotent
 * producer (so a retry never writes a record twice and per-key order holds), either a fixed number at once or
 * at a steady rate on its own thread until stopped. {@link #sent} is what {@link SequenceLog#verdict} checks
 * against.
 *
 * <p>Transactional ({@code -Dfanwire.soak.transactional=true}, for the soak runs; the steady-rate thread only):
 * records go out in transactions of {@value #TRANSACTION_RECORDS}, and one transaction in ten is aborted and its
 * records written again, with the same sequence numbers, in the next one. A client that got an aborted record
 * would hand some SEQ twice, which {@link SequenceLog} counts as a duplicate.
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
    private final boolean transactional;
    private long committedTransactions;
    private long abortedTransactions;
    private long abortedRecords;
    private long failedCommits;

    static final int TRANSACTION_RECORDS = 10;

    public SequenceProducer(String bootstrapServers, String topic, int keys) {
        this.topic = topic;
        this.keys = new String[keys];
        for (int i = 0; i < keys; i++) {
            this.keys[i] = "k" + i;
        }
        transactional = Boolean.getBoolean("fanwire.soak.transactional");
        Map<String, Object> config = new HashMap<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 2,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000));
        if (transactional) {
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "sequence-" + topic + "-" + UUID.randomUUID());
        }
        producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        if (transactional) {
            producer.initTransactions();
        }
    }

    public SequenceProducer(String topic, int keys) {
        this(TestKafka.bootstrapServers(), topic, keys);
    }

    /** Sends {@code count} records round-robin over the keys and waits until Kafka acknowledged them. */
    public void send(int count) {
        if (transactional) {
            producer.beginTransaction();
        }
        for (int i = 0; i < count; i++) {
            sendOne();
        }
        if (transactional) {
            producer.commitTransaction();
            committedTransactions++;
        }
        producer.flush();
        check();
    }

    private void sendOne() {
        String key = keys[(int) (next++ % keys.length)];
        int seq = sent.merge(key, 1, Integer::sum) - 1;
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
                (key + ":" + seq).getBytes(StandardCharsets.UTF_8)), (metadata, error) -> {
                    // A record of an aborted transaction: its sequence number is written again in the next one.
                    if (error != null && !(transactional && error instanceof TransactionAbortedException)) {
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
            int inTransaction = 0;
            long transactionStart = next;
            Map<String, Integer> sentAtStart = Map.of();
            while (running.get()) {
                if (transactional && inTransaction == 0) {
                    producer.beginTransaction();
                    transactionStart = next;
                    sentAtStart = Map.copyOf(sent);
                }
                sendOne();
                if (transactional && ++inTransaction == TRANSACTION_RECORDS) {
                    inTransaction = 0;
                    boolean abort = (committedTransactions + abortedTransactions) % 10 == 9;
                    if (abort) {
                        // Written to the partitions first, so that the log holds the aborted records and the
                        // abort marker, which the node must skip; abortTransaction alone may drop unsent ones.
                        producer.flush();
                    } else {
                        try {
                            producer.commitTransaction();
                            committedTransactions++;
                        } catch (KafkaException abortable) {
                            // The transaction failed (a timeout under load): none of it is committed.
                            failedCommits++;
                            abort = true;
                        }
                    }
                    if (abort) {
                        producer.abortTransaction();
                        abortedTransactions++;
                        abortedRecords += TRANSACTION_RECORDS;
                        next = transactionStart; // the next transaction writes the same sequence numbers again
                        sent.clear();
                        sent.putAll(sentAtStart);
                    }
                }
                due += intervalNanos;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
            }
            if (transactional && inTransaction > 0) {
                producer.commitTransaction();
                committedTransactions++;
            }
        }, "sequence-producer");
        thread.setUncaughtExceptionHandler((t, e) -> failure.compareAndSet(null, new IllegalStateException(e)));
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
        if (transactional) {
            int committed = sent.values().stream().mapToInt(Integer::intValue).sum();
            System.out.println("SOAK producer topic=" + topic + " transactional committedRecords=" + committed
                    + " committedTransactions=" + committedTransactions + " abortedTransactions="
                    + abortedTransactions + " abortedRecords=" + abortedRecords + " failedCommits=" + failedCommits);
        }
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
