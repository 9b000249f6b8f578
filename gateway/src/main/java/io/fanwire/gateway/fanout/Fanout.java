package io.fanwire.gateway.fanout;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.session.Session;
import io.fanwire.gateway.subscription.Subscriptions;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/**
 * Hands each poll batch of encoded records to the event loops: ONE task per loop that has a subscriber
 * for something in the batch, never one task per connection. On its loop the task writes each record to
 * every matching local session and then flushes each touched session once ({@link LoopDelivery}), so a
 * busy connection costs one syscall per batch, not one per record.
 *
 * <p>{@link #dispatch} runs on the ingest thread; the tasks run on the event loops. Ownership: dispatch
 * takes one reference of each record per task; the task releases it when done.
 */
public final class Fanout {

    private final Subscriptions<Session> subscriptions;
    private final GatewayMetrics metrics;

    public Fanout(Subscriptions<Session> subscriptions, GatewayMetrics metrics) {
        this.subscriptions = subscriptions;
        this.metrics = metrics;
    }

    /** Schedules delivery of {@code batch}, in order, on every interested loop. Ingest thread. */
    public void dispatch(List<EncodedRecord> batch) {
        List<EventLoop> loops = subscriptions.loops();
        for (int index = 0; index < loops.size(); index++) {
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
                try {
                    loops.get(index).execute(new LoopDelivery(subscriptions.table(index), wanted, metrics));
                } catch (RejectedExecutionException shuttingDown) {
                    wanted.forEach(EncodedRecord::release);
                }
            }
        }
    }
}
