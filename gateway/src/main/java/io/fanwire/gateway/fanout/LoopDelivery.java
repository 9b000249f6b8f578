package io.fanwire.gateway.fanout;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
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

/**
 * One event loop's share of the fan-out: an inbox of poll batches from the ingest thread, and the task that
 * drains it on the loop, writing each record to every matching session of the loop's table, in order, then
 * flushing each touched session once.
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

    private final EventLoop loop;
    private final SubscriptionTable<Session> table;
    private final GatewayMetrics metrics;
    private final Queue<List<EncodedRecord>> inbox = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicInteger queuedRecords = new AtomicInteger();
    private final List<Session> touched = new ArrayList<>();
    private long frames;
    private long bytes;

    public LoopDelivery(EventLoop loop, SubscriptionTable<Session> table, GatewayMetrics metrics) {
        this.loop = loop;
        this.table = table;
        this.metrics = metrics;
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

    /** Drains the inbox on the loop. */
    @Override
    public void run() {
        // Cleared before draining: a batch submitted from now on schedules another run, so none is stranded.
        scheduled.set(false);
        List<EncodedRecord> batch;
        for (int drained = 0; drained < MAX_BATCHES_PER_DRAIN && (batch = inbox.poll()) != null; drained++) {
            deliver(batch);
        }
        flushTouched();
        if (!inbox.isEmpty() && scheduled.compareAndSet(false, true)) {
            loop.execute(this);
        }
    }

    /** Writes each record of {@code batch} to its subscribers without flushing, then releases the records. */
    public void deliver(List<EncodedRecord> batch) {
        try {
            for (EncodedRecord record : batch) {
                table.forEachSubscriber(record.topic(), record.key(), record, this);
            }
        } finally {
            for (EncodedRecord record : batch) {
                record.release();
            }
            queuedRecords.addAndGet(-batch.size());
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

    @Override
    public void visit(Session session, EncodedRecord record) {
        int written = session.write(record);
        if (written > 0) {
            frames++;
            bytes += written;
            if (session.markFlushPending()) {
                touched.add(session);
            }
        }
    }
}
