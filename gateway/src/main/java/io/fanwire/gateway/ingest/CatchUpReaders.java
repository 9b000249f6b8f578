package io.fanwire.gateway.ingest;

import io.fanwire.gateway.history.HistoryEntry;
import io.fanwire.gateway.session.OlderRecords;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads records that are no longer in memory from Kafka, for resuming subscriptions: a fixed pool of
 * {@code catchup.readers} threads, each with ONE Kafka consumer, however many clients resume. Each partition
 * belongs to one reader, which serves every pending request of that partition from the same fetch: a request
 * whose next offset falls inside the fetched range gets the fetched records from its offset on. So 10,000
 * clients resuming from similar positions after a node failure cost a few fetches, not 10,000 consumers; and
 * since the fetched records become {@link HistoryEntry}s once, here, the connections share each record's
 * frame, encoded once, instead of encoding it 10,000 times.
 *
 * <p>The {@link OlderRecords} of resuming subscriptions. A request gets one {@link Chunk} (at most {@code max.poll.records} records); the caller asks again for
 * the next. Threads: {@link #fetch} from any thread (event loops: it takes no lock); callbacks run on a
 * reader thread and must only hand the chunk over to their own thread. Chunks hold heap byte arrays only.
 */
public final class CatchUpReaders implements OlderRecords, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatchUpReaders.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);
    private static final long IDLE_PARK_NANOS = 50_000_000;
    private static final long RETRY_PARK_NANOS = 200_000_000;

    private record Request(TopicPartition partition, long from, Consumer<Chunk> callback) {
    }

    private final Reader[] readers;

    public CatchUpReaders(IngestSettings settings) {
        readers = new Reader[settings.catchUpReaders()];
        for (int i = 0; i < readers.length; i++) {
            readers[i] = new Reader(settings.consumerKafka(), i);
        }
        for (Reader reader : readers) {
            reader.thread.start();
        }
    }

    /**
     * Asks for the records of {@code partition} from offset {@code from} on; {@code callback} gets one chunk,
     * on a reader thread, once Kafka answered (while Kafka is unreachable, requests wait).
     */
    @Override
    public void fetch(TopicPartition partition, long from, Consumer<Chunk> callback) {
        Reader reader = readers[Math.floorMod(partition.hashCode(), readers.length)];
        reader.inbox.add(new Request(partition, from, callback));
        LockSupport.unpark(reader.thread);
    }

    @Override
    public void close() {
        for (Reader reader : readers) {
            reader.running = false;
            reader.consumer.wakeup();
        }
        for (Reader reader : readers) {
            try {
                reader.thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One reader thread and its consumer. */
    private static final class Reader implements Runnable {
        private final Queue<Request> inbox = new ConcurrentLinkedQueue<>();
        private final Map<TopicPartition, List<Request>> pending = new HashMap<>();
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;
        private boolean failing;

        Reader(Map<String, String> kafkaProperties, int index) {
            Map<String, Object> props = KafkaIngest.consumerProperties(kafkaProperties);
            props.put(ConsumerConfig.CLIENT_ID_CONFIG, "fanwire-catchup-" + index);
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            thread = new Thread(this, "fanwire-catchup-" + index);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (running) {
                    for (Request request; (request = inbox.poll()) != null; ) {
                        pending.computeIfAbsent(request.partition(), p -> new ArrayList<>()).add(request);
                    }
                    if (pending.isEmpty()) {
                        LockSupport.parkNanos(IDLE_PARK_NANOS);
                        continue;
                    }
                    boolean progress = false;
                    for (TopicPartition partition : List.copyOf(pending.keySet())) {
                        progress |= serve(partition, pending.get(partition));
                        if (pending.get(partition).isEmpty()) {
                            pending.remove(partition);
                        }
                    }
                    if (!progress && running) {
                        LockSupport.parkNanos(RETRY_PARK_NANOS);
                    }
                }
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                if (running) {
                    log.error("catch-up reader stopped: {}", e.toString());
                }
            } finally {
                consumer.close(Duration.ofSeconds(5));
            }
        }

        /** One fetch for {@code partition}; completes the requests it covers. False if Kafka did not answer. */
        private boolean serve(TopicPartition partition, List<Request> requests) {
            long lowest = Long.MAX_VALUE;
            for (Request request : requests) {
                lowest = Math.min(lowest, request.from());
            }
            long logStart;
            List<HistoryEntry> records;
            long next;
            try {
                logStart = consumer.beginningOffsets(List.of(partition), METADATA_TIMEOUT).get(partition);
                long seekTo = Math.max(lowest, logStart);
                consumer.assign(List.of(partition));
                consumer.seek(partition, seekTo);
                records = entries(consumer.poll(POLL_TIMEOUT).records(partition));
                next = consumer.position(partition, METADATA_TIMEOUT);
                if (failing) {
                    failing = false;
                    log.info("catch-up reads from Kafka work again");
                }
                if (records.isEmpty() && next == seekTo) {
                    return false;
                }
                long firstCovered = seekTo;
                for (Iterator<Request> it = requests.iterator(); it.hasNext(); ) {
                    Request request = it.next();
                    long from = Math.max(request.from(), logStart);
                    if (from >= firstCovered && from < next) {
                        it.remove();
                        request.callback().accept(new Chunk(logStart, from(records, from), next));
                    }
                }
                return true;
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                throw e;
            } catch (RuntimeException e) {
                if (!failing) {
                    failing = true;
                    log.warn("catch-up read of {} failed, retrying: {}", partition, e.toString());
                }
                return false;
            }
        }

        private static List<HistoryEntry> entries(List<ConsumerRecord<byte[], byte[]>> records) {
            List<HistoryEntry> entries = new ArrayList<>(records.size());
            for (ConsumerRecord<byte[], byte[]> record : records) {
                entries.add(HistoryEntry.fromKafka(record));
            }
            return entries;
        }

        private static List<HistoryEntry> from(List<HistoryEntry> records, long offset) {
            int i = 0;
            while (i < records.size() && records.get(i).offset() < offset) {
                i++;
            }
            return records.subList(i, records.size());
        }
    }
}
