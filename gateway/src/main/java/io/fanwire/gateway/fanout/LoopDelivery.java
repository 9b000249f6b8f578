package io.fanwire.gateway.fanout;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.admin.RecordAgeHistogram;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.history.PartitionLog;
import io.fanwire.gateway.history.RecordHistory;
import io.fanwire.gateway.session.Session;
import io.fanwire.gateway.subscription.SubscriptionTable;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's share of the fan-out: an inbox of poll batches from the ingest thread, and the task that
 * drains it on the loop, writing each record to every matching session of the loop's table, in order, then
 * flushing each touched session once. It also notes, per partition, the last offset the loop processed
 * ({@link PartitionLog#loopProcessed}): what {@code GoAway} positions are made of; and observes each record's
 * age ({@code fanwire_record_age_seconds}) once, after writing it to the loop's sessions. Only live records
 * pass here (replays and snapshots are written by the sessions themselves), so only they count in it.
 *
 * <p>At most one drain task is queued on the loop at a time. When the loop keeps up, each poll batch is
 * delivered and flushed at once; when it falls behind, the batches that arrived meanwhile are drained
 * together and each session gets ONE flush (one syscall) for all of them. So the cost per frame falls as
 * load rises, instead of the loop queueing a flush per batch it can no longer afford — the same
 * self-adjusting batching a corked socket gives.
 *
 * <p>{@link #submit} runs on the ingest thread; everything else on the loop that owns the table.
 * Ownership: the inbox holds one reference of each queued record; delivery releases it.
 */
public final class LoopDelivery implements Runnable, SubscriptionTable.Visitor<Session, EncodedRecord> {

    /** Batches drained before the loop is given back to I/O for a turn; bounds one task's run time. */
    private static final int MAX_BATCHES_PER_DRAIN = 64;
    private static final int LOGGED_FAILURES = 20;
    private static final Logger log = LoggerFactory.getLogger(LoopDelivery.class);

    private final EventLoop loop;
    private final int loopIndex;
    private final SubscriptionTable<Session> table;
    private final RecordHistory history;
    private final GatewayMetrics metrics;
    private final RecordAgeHistogram ages;
    private final Queue<List<EncodedRecord>> inbox = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicInteger queuedRecords = new AtomicInteger();
    private final List<Session> touched = new ArrayList<>();
    /** The batches of one drain, joined; reused. */
    private final List<EncodedRecord> drained = new ArrayList<>();
    private final TopicRunWriter topicRun = new TopicRunWriter();
    private long frames;
    private long bytes;
    /** Writes that threw on this loop; the first {@value #LOGGED_FAILURES} are logged with their stack. */
    private long failures;

    public LoopDelivery(EventLoop loop, int loopIndex, SubscriptionTable<Session> table, RecordHistory history,
                        GatewayMetrics metrics) {
        this.loop = loop;
        this.loopIndex = loopIndex;
        this.table = table;
        this.history = history;
        this.metrics = metrics;
        this.ages = metrics.recordAges();
    }

    /** Queues {@code batch} (one reference of each record is handed over) and wakes the loop if needed. */
    public void submit(List<EncodedRecord> batch) {
        queuedRecords.addAndGet(batch.size());
        inbox.add(batch);
        if (scheduled.compareAndSet(false, true)) {
            try {
                loop.execute(this);
            } catch (RejectedExecutionException shuttingDown) {
                for (List<EncodedRecord> queued; (queued = inbox.poll()) != null; ) {
                    queuedRecords.addAndGet(-queued.size());
                    queued.forEach(EncodedRecord::release);
                }
            }
        }
    }

    /** Drains the inbox on the loop: every batch waiting (up to a bound) is delivered as one. */
    @Override
    public void run() {
        // Cleared before draining: a batch submitted from now on schedules another run, so none is stranded.
        scheduled.set(false);
        List<EncodedRecord> batch = inbox.poll();
        if (batch != null) {
            List<EncodedRecord> next = inbox.poll();
            if (next == null) {
                deliver(batch);
            } else {
                drained.addAll(batch);
                int batches = 1;
                do {
                    drained.addAll(next);
                } while (++batches < MAX_BATCHES_PER_DRAIN && (next = inbox.poll()) != null);
                try {
                    deliver(drained);
                } finally {
                    drained.clear();
                }
            }
        }
        flushTouched();
        if (!inbox.isEmpty() && scheduled.compareAndSet(false, true)) {
            loop.execute(this);
        }
    }

    /**
     * Writes each record of {@code batch} to its subscribers without flushing, then releases the records.
     *
     * <p>Session-major: for each run of consecutive records of one topic, each whole-topic subscriber is
     * visited once and written the whole run, so its session, channel and buffers are pulled into the cache
     * once per run instead of once per record (with ten thousand connections, a cache miss per connection and
     * record is most of the cost). Key subscribers are then visited record by record. Each session still gets
     * its records in batch order, which keeps Kafka's per-partition order.
     */
    public void deliver(List<EncodedRecord> batch) {
        try {
            int n = batch.size();
            for (int start = 0; start < n; ) {
                String topic = batch.get(start).topic();
                int end = start + 1;
                while (end < n && batch.get(end).topic().equals(topic)) {
                    end++;
                }
                topicRun.set(batch, start, end);
                table.forEachTopicSubscriber(topic, topicRun, topicRun);
                for (int i = start; i < end; i++) {
                    EncodedRecord record = batch.get(i);
                    if (record.key() != null) {
                        table.forEachKeyOnlySubscriber(topic, record.key(), record, this);
                    }
                }
                // After the run's writes, not before: a session that a slow-consumer disconnect stops in the middle
                // of the run builds its GoAway from these positions, which must not claim the records of the run
                // it was never written (they would be lost to the resuming client). Mid-run it claims the end of
                // the previous run instead; the records of this run it did get, a client holds already and keeps
                // its own, larger position (PROTOCOL.md §4.2).
                for (int i = start; i < end; i++) {
                    EncodedRecord record = batch.get(i);
                    PartitionLog log = history.partition(topic, record.partition());
                    if (log != null) {
                        log.loopProcessed(loopIndex, record.offset());
                    }
                }
                // Once per run, after its writes: the age includes this loop's own work, and reading the clock
                // per run rather than per record keeps it off the per-record cost.
                long now = ages.nowMillis();
                for (int i = start; i < end; i++) {
                    ages.observe(batch.get(i).timestamp(), now);
                }
                start = end;
            }
        } finally {
            topicRun.set(null, 0, 0);
            queuedRecords.addAndGet(-batch.size());
            for (EncodedRecord record : batch) {
                record.release();
            }
        }
    }

    /** Records submitted and not yet delivered. Any thread. */
    public int queuedRecords() {
        return queuedRecords.get();
    }

    /** Flushes every session written to since the last flush, once each. */
    public void flushTouched() {
        for (Session session : touched) {
            session.flush();
        }
        touched.clear();
        metrics.delivered(frames, bytes);
        frames = 0;
        bytes = 0;
    }

    /** Writes a run of records of one topic, {@code records[start, end)}, to each session it visits. */
    private final class TopicRunWriter implements SubscriptionTable.Visitor<Session, TopicRunWriter> {
        private List<EncodedRecord> records;
        private int start;
        private int end;

        void set(List<EncodedRecord> records, int start, int end) {
            this.records = records;
            this.start = start;
            this.end = end;
        }

        @Override
        public void visit(Session session, TopicRunWriter run) {
            for (int i = start; i < end; i++) {
                LoopDelivery.this.visit(session, records.get(i));
            }
        }
    }

    /**
     * Writes {@code record} to {@code session}. A write that throws must cost only that connection: the others
     * of the drain still get the record, and the connection is cut, which frees what was pending for it, so that
     * its client resumes from its positions. Two causes: a bug, or direct memory running out (an
     * {@link OutOfMemoryError} from the allocator: thousands of connections, each with up to
     * {@code ws.write.buffer.high.bytes} pending, can outgrow {@code -XX:MaxDirectMemorySize}). Before, one such
     * throw ended the drain: no flush for anyone, and records left counted as queued, which stopped ingest for
     * good (found by the firehose benchmark at 10,000 clients).
     */
    @Override
    public void visit(Session session, EncodedRecord record) {
        int written;
        try {
            written = session.write(record);
        } catch (RuntimeException | OutOfMemoryError e) {
            if (++failures <= LOGGED_FAILURES) {
                log.error("delivery of {}-{}@{} to {} failed; cutting that connection", record.topic(),
                        record.partition(), record.offset(), session, e);
            }
            metrics.deliveryFailed();
            session.abortAfterFailure();
            return;
        }
        if (written > 0) {
            frames++;
            bytes += written;
            if (session.markFlushPending()) {
                touched.add(session);
            }
        }
    }
}
