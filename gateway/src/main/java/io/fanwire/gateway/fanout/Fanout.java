package io.fanwire.gateway.fanout;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.history.RecordHistory;
import io.fanwire.gateway.ingest.BatchSink;
import io.fanwire.gateway.session.Session;
import io.fanwire.gateway.subscription.Subscriptions;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands each poll batch of encoded records to the event loops that have a subscriber for something in it,
 * through each loop's {@link LoopDelivery}: at most ONE queued task per loop, never one per connection. On
 * its loop the task writes each record to every matching local session and then flushes each touched
 * session once, so a busy connection costs one syscall per drained batch (or batches), not one per record.
 *
 * <p>The ingest thread's {@link BatchSink}: {@link #dispatch} runs on the ingest thread. Ownership: dispatch takes one reference of each record
 * per interested loop and hands it to that loop's {@link LoopDelivery}, which releases it.
 */
public final class Fanout implements BatchSink {

    /**
     * Records that may wait in one loop's inbox before the ingest thread stops polling. Past it the loops
     * are behind: new records stay in Kafka (where consumer lag shows them) instead of on the heap.
     */
    static final int MAX_QUEUED_RECORDS_PER_LOOP = 1_024;

    private final Subscriptions<Session> subscriptions;
    private final LoopDelivery[] deliveries;

    public Fanout(Subscriptions<Session> subscriptions, RecordHistory history, GatewayMetrics metrics) {
        this.subscriptions = subscriptions;
        List<EventLoop> loops = subscriptions.loops();
        this.deliveries = new LoopDelivery[loops.size()];
        for (int i = 0; i < deliveries.length; i++) {
            deliveries[i] = new LoopDelivery(loops.get(i), i, subscriptions.table(i), history, metrics);
        }
    }

    /** True while some loop has more than {@link #MAX_QUEUED_RECORDS_PER_LOOP} records waiting. Any thread. */
    @Override
    public boolean backlogged() {
        for (LoopDelivery delivery : deliveries) {
            if (delivery.queuedRecords() > MAX_QUEUED_RECORDS_PER_LOOP) {
                return true;
            }
        }
        return false;
    }

    /** Schedules delivery of {@code batch}, in order, on every interested loop. Ingest thread. */
    @Override
    public void dispatch(List<EncodedRecord> batch) {
        for (int index = 0; index < deliveries.length; index++) {
            List<EncodedRecord> wanted = null;
            for (EncodedRecord record : batch) {
                if (subscriptions.interested(index, record.topic())) {
                    if (wanted == null) {
                        wanted = new ArrayList<>(batch.size());
                    }
                    wanted.add(record.retain());
                }
            }
            if (wanted != null) {
                deliveries[index].submit(wanted);
            }
        }
    }
}
