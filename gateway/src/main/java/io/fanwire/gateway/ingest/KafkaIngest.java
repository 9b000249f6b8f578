package io.fanwire.gateway.ingest;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.history.LastValues;
import io.fanwire.gateway.history.RecordHistory;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest thread: reads every partition of the served topics with {@code assign()} (no consumer group:
 * every node needs every record, and there are no rebalances), encodes each record once, and hands each
 * poll batch to its {@link BatchSink} (the fan-out), after recording it in the {@link RecordHistory}.
 *
 * <p>Partitions found at start-up are read from the live end, except those of snapshot topics
 * ({@link LastValues}), read from their beginning to fill the last values; the node is not {@link #ready} until
 * they reach their start-up end. Partitions that appear later (the topic was created or grown) are read from
 * their beginning, since all their records are new. The partition
 * list is refreshed every {@code ingest.metadata.refresh.ms}. When the event loops fall behind
 * ({@link BatchSink#backlogged}) the thread stops polling until they catch up, so a backlog stays in Kafka, not
 * on the heap.
 *
 * <p>Transactions: by default the consumer reads committed records only ({@code ingest.isolation.level}, as the
 * catch-up readers do): records of an open transaction arrive once it commits, those of an aborted one never.
 * Either way a partition's offsets are not contiguous: commit and abort markers (and, on compacted topics, removed
 * records) take offsets that hold no record, so everything downstream treats an offset as a position in the
 * partition, never "the previous offset plus one" as the next record.
 *
 * <p>Threads: {@link #run} is the ingest thread, the only user of the {@link KafkaConsumer}. {@link #ready}
 * and the lag figures are published for any thread; {@link #close} may be called from any thread.
 */
public final class KafkaIngest implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaIngest.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
    /** How long the ingest thread waits before looking again when the event loops are behind. */
    private static final long BACKLOG_WAIT_NANOS = 200_000;
    /** How long ingest waits when direct memory has run out before it reads the same records again. */
    private static final long MEMORY_WAIT_NANOS = 50_000_000;
    /** How often, at most, the ingest thread checks that Kafka answers (also every metadata refresh). */
    private static final long PROBE_INTERVAL_NANOS = 2_000_000_000L;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final List<String> topics;
    private final Duration metadataRefresh;
    private final BatchSink fanout;
    private final RecordHistory history;
    private final LastValues lastValues;
    private final PayloadFormats payloadFormats;
    /** Snapshot-topic partitions still being read up to their end offset at start-up. Ingest thread only. */
    private final Map<TopicPartition, Long> loading = new HashMap<>();
    private long loadStartNanos;
    private final GatewayMetrics metrics;
    private final ByteBufAllocator alloc;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final Set<String> missingTopicsLogged = new HashSet<>();
    private volatile boolean running = true;
    private volatile boolean ready;
    private volatile boolean startedServing;
    /** Times ingest found direct memory exhausted; ingest thread only. */
    private long memoryWaits;
    /** Whether every served topic was found at the last metadata refresh. Ingest thread only. */
    private boolean topicsFound;
    /** Whether Kafka answered the last reachability probe. Ingest thread only. */
    private boolean reachable = true;
    private long nextProbeNanos;
    private volatile Map<String, Long> lag = Map.of();
    private long nextRefreshNanos;
    private boolean assignedOnce;

    public KafkaIngest(IngestSettings settings, BatchSink fanout, RecordHistory history, LastValues lastValues,
                       GatewayMetrics metrics, ByteBufAllocator alloc) {
        this.topics = settings.topics();
        this.metadataRefresh = settings.metadataRefresh();
        this.fanout = fanout;
        this.history = history;
        this.lastValues = lastValues;
        this.payloadFormats = settings.payloadFormats();
        this.metrics = metrics;
        this.alloc = alloc;
        this.consumer = new KafkaConsumer<>(consumerProperties(settings.consumerKafka()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // A Netty thread, so that the record buffers it allocates come from a per-thread allocator cache
        // and their wrapper objects are recycled (measured in EncodeOnFastThreadBenchmark: -104 B per record).
        this.thread = new FastThreadLocalThread(this, "fanwire-ingest");
        metrics.lagSource(() -> lag);
    }

    static Map<String, Object> consumerProperties(Map<String, String> kafkaProperties) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "fanwire-ingest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
        props.putAll(kafkaProperties);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return props;
    }

    public void start() {
        thread.start();
    }

    /**
     * True once every partition of every served topic is assigned and positioned at the live end, the snapshot
     * topics are loaded, and while Kafka answers (checked every two seconds at most).
     */
    public boolean ready() {
        return ready;
    }

    /**
     * True once the node has assigned itself every partition of the served topics that exist and loaded the
     * snapshot topics: it can answer a resume and a snapshot. Unlike {@link #ready} it stays true while a served
     * topic is missing or Kafka is unreachable, when clients are still welcome (they get their records when the
     * topic appears or Kafka is back).
     */
    public boolean startedServing() {
        return startedServing;
    }

    @Override
    public void run() {
        log.info("ingest started for topics {}", topics);
        try {
            while (running) {
                if (System.nanoTime() - nextRefreshNanos >= 0) {
                    refreshAssignment();
                    nextRefreshNanos = System.nanoTime() + metadataRefresh.toNanos();
                }
                if (System.nanoTime() - nextProbeNanos >= 0) {
                    probeKafka();
                    nextProbeNanos = System.nanoTime() + Math.min(metadataRefresh.toNanos(), PROBE_INTERVAL_NANOS);
                }
                while (running && fanout.backlogged()) {
                    LockSupport.parkNanos(BACKLOG_WAIT_NANOS);
                }
                if (consumer.assignment().isEmpty()) {
                    // No served topic exists yet: poll would throw. Wait for the next refresh to find one.
                    LockSupport.parkNanos(POLL_TIMEOUT.toNanos());
                    continue;
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
                if (!records.isEmpty()) {
                    deliver(records);
                }
                publishLag();
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            log.error("ingest stopped: {}", e.toString(), e);
            ready = false;
        } finally {
            consumer.close(Duration.ofSeconds(5));
            log.info("ingest stopped");
        }
    }

    private void deliver(ConsumerRecords<byte[], byte[]> records) {
        List<EncodedRecord> batch = new ArrayList<>(records.count());
        try {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                EncodedRecord encoded;
                try {
                    encoded = EncodedRecord.encode(record, payloadFormats, alloc);
                } catch (OutOfMemoryError e) {
                    waitForDirectMemory(records, record, e);
                    break;
                }
                batch.add(encoded);
                // Both before the loops see the record, in this order. A snapshot sends each key's last value at
                // or below the partition's last offset read (history) and leaves newer records to the live path,
                // which skips those at or below it: a last value must be in place before its offset is published,
                // or a snapshot taken in between would send the older value and skip this one. A resuming
                // subscription relies on the history being appended first as well (see session.Replay).
                lastValues.record(encoded, record.value() == null);
                history.append(encoded);
            }
            if (!loading.isEmpty()) {
                checkLoaded();
            }
            metrics.recordsConsumed(batch.size());
            fanout.dispatch(batch);
        } finally {
            for (EncodedRecord record : batch) {
                record.release();
            }
        }
    }

    /**
     * Direct memory ran out while encoding {@code failed} (frames pending for connections fill it, see
     * docs/operations.md): rather than skip records, rewind every partition of {@code records} to its first
     * record not yet encoded, so that the next poll returns them again, and give the event loops a moment to
     * write, or cut, what holds the memory. The records before {@code failed} are delivered as usual.
     */
    private void waitForDirectMemory(ConsumerRecords<byte[], byte[]> records, ConsumerRecord<byte[], byte[]> failed,
                                     OutOfMemoryError e) {
        boolean reached = false;
        Set<TopicPartition> rewound = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            reached |= record == failed;
            TopicPartition partition = new TopicPartition(record.topic(), record.partition());
            if (reached && rewound.add(partition)) {
                consumer.seek(partition, record.offset());
            }
        }
        if (memoryWaits++ % 100 == 0) {
            log.warn("direct memory is exhausted ({}); ingest waits and reads again from {}-{}@{} "
                    + "({} waits so far)", e.getMessage(), failed.topic(), failed.partition(), failed.offset(),
                    memoryWaits);
        }
        metrics.ingestMemoryWait();
        LockSupport.parkNanos(MEMORY_WAIT_NANOS);
    }

    private void refreshAssignment() {
        Set<TopicPartition> current = consumer.assignment();
        Set<TopicPartition> wanted = new HashSet<>(current);
        boolean allFound = true;
        for (String topic : topics) {
            List<PartitionInfo> partitions;
            try {
                partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                partitions = List.of();
            }
            if (partitions == null || partitions.isEmpty()) {
                allFound = false;
                if (missingTopicsLogged.add(topic)) {
                    log.warn("topic {} is not in Kafka (yet); it will be served once it exists", topic);
                }
                continue;
            }
            if (missingTopicsLogged.remove(topic)) {
                log.info("topic {} found", topic);
            }
            for (PartitionInfo info : partitions) {
                wanted.add(new TopicPartition(info.topic(), info.partition()));
            }
        }
        if (!wanted.equals(current)) {
            Set<TopicPartition> added = new HashSet<>(wanted);
            added.removeAll(current);
            consumer.assign(wanted);
            if (assignedOnce) {
                consumer.seekToBeginning(added);
            } else {
                startAtTheLiveEnd(added);
            }
            for (TopicPartition partition : added) {
                history.register(partition.topic(), partition.partition(), consumer.position(partition));
            }
            log.info("assigned {} partitions ({} new)", wanted.size(), added.size());
        }
        assignedOnce = true;
        topicsFound = allFound;
        updateReady();
    }

    /**
     * The first assignment: served partitions start at their end, except those of snapshot topics, which are
     * read from their beginning up to today's end before the node is ready, so that it serves full snapshots.
     */
    private void startAtTheLiveEnd(Set<TopicPartition> partitions) {
        Set<TopicPartition> live = new HashSet<>();
        Set<TopicPartition> snapshots = new HashSet<>();
        for (TopicPartition partition : partitions) {
            (lastValues.keeps(partition.topic()) ? snapshots : live).add(partition);
        }
        consumer.seekToEnd(live);
        if (!snapshots.isEmpty()) {
            consumer.seekToBeginning(snapshots);
            consumer.endOffsets(snapshots, Duration.ofSeconds(30)).forEach(loading::put);
            loadStartNanos = System.nanoTime();
            log.info("loading the last values of {} snapshot-topic partitions", snapshots.size());
            checkLoaded();
        }
    }

    /** Drops the snapshot-topic partitions read up to their start-up end offset. */
    private void checkLoaded() {
        loading.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
        if (loading.isEmpty()) {
            log.info("snapshot topics loaded in {} ms", (System.nanoTime() - loadStartNanos) / 1_000_000);
            updateReady();
        }
    }

    private void updateReady() {
        ready = topicsFound && reachable && loading.isEmpty();
        if (assignedOnce && loading.isEmpty()) {
            startedServing = true;
        }
    }

    /**
     * Asks the brokers for the end offsets of the assigned partitions: polling alone cannot tell a quiet topic
     * from an unreachable Kafka, and {@code /readyz} must say when the node cannot serve live data.
     */
    private void probeKafka() {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            return;
        }
        boolean answered;
        try {
            consumer.endOffsets(assigned, PROBE_TIMEOUT);
            answered = true;
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            answered = false;
        }
        if (answered != reachable) {
            if (answered) {
                log.info("Kafka is reachable again");
            } else {
                log.warn("Kafka did not answer within {} ms: not ready until it does", PROBE_TIMEOUT.toMillis());
            }
        }
        reachable = answered;
        updateReady();
    }

    private void publishLag() {
        Map<String, Long> snapshot = new TreeMap<>();
        for (TopicPartition partition : consumer.assignment()) {
            OptionalLong partitionLag = consumer.currentLag(partition);
            if (partitionLag.isPresent()) {
                snapshot.put(partition.toString(), partitionLag.getAsLong());
            }
        }
        lag = snapshot;
    }

    @Override
    public void close() {
        running = false;
        ready = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
