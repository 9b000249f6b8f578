package io.fanwire.gateway.fanout;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.session.Session;
import io.fanwire.gateway.subscription.SubscriptionTable;
import java.util.ArrayList;
import java.util.List;

/**
 * Delivers one poll batch on one event loop: writes each record to every matching session of that loop's
 * table, in order, then flushes each touched session once.
 *
 * <p>Runs on the event loop that owns {@code table}. Ownership: holds one reference of each record and
 * releases it when done, whatever happens.
 */
public final class LoopDelivery implements Runnable, SubscriptionTable.Visitor<Session, EncodedRecord> {

    private final SubscriptionTable<Session> table;
    private final List<EncodedRecord> records;
    private final GatewayMetrics metrics;
    private final List<Session> touched = new ArrayList<>();
    private long frames;
    private long bytes;

    public LoopDelivery(SubscriptionTable<Session> table, List<EncodedRecord> records, GatewayMetrics metrics) {
        this.table = table;
        this.records = records;
        this.metrics = metrics;
    }

    @Override
    public void run() {
        try {
            for (EncodedRecord record : records) {
                table.forEachSubscriber(record.topic(), record.key(), record, this);
            }
            for (Session session : touched) {
                session.flush();
            }
            metrics.delivered(frames, bytes);
        } finally {
            for (EncodedRecord record : records) {
                record.release();
            }
        }
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
