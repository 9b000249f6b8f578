package io.fanwire.gateway.session;

import io.fanwire.gateway.history.LastValue;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one subscription's snapshot (PROTOCOL.md §4.3): the last value of each matching key at or below the
 * subscription's start positions, in bounded turns under the connection's backpressure, then hands over to the
 * {@link Replay} of whatever was written meanwhile ({@link Subscription#snapshotSent}).
 *
 * <p>A snapshot topic may hold hundreds of thousands of keys. The values are not copied or encoded up front:
 * the sender walks the topic's last values ({@link io.fanwire.gateway.history.LastValues#values}, a weakly
 * consistent view) and gathers each value's snapshot frame, encoded once for every connection
 * ({@link LastValue#snapshotFrame}), while the channel is writable; past the high water mark it waits for the
 * connection to drain ({@link #writable}), and it yields to the loop every {@value #VALUES_PER_TURN} values so
 * the loop's other connections keep being served. So a connection's snapshot holds at most its high water mark
 * plus one gathering buffer of memory, however large the topic and however slow the client.
 *
 * <p>Why the hand-off is exact: while the snapshot streams, the live path leaves the channel alone; afterwards
 * the replay sends every record after the start positions, from the history or Kafka, and joins the live path
 * with no seam. A key written after the start positions has, by the time the walk reaches it, a newer value
 * than the positions (the ingest thread records a key's value before the loops see its record), so the walk
 * skips it and the replay brings its records instead: no key is seen older after newer, nothing twice.
 *
 * <p>Event loop only (the connection's). Holds no buffers: frames are copied into the connection's
 * {@link OutboundWriter}.
 */
final class SnapshotSender implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(SnapshotSender.class);
    /** Values looked at before the sender yields to the loop's other work. */
    private static final int VALUES_PER_TURN = 512;

    private final Session session;
    private final Subscription subscription;
    private final Iterator<LastValue> values;
    private boolean waiting;
    private boolean done;

    SnapshotSender(Session session, Subscription subscription, Iterator<LastValue> values) {
        this.session = session;
        this.subscription = subscription;
        this.values = values;
    }

    /** Stops the sender: the subscription ended. */
    void cancel() {
        done = true;
    }

    /** The connection became writable again. */
    void writable() {
        if (waiting && !done) {
            waiting = false;
            run();
        }
    }

    @Override
    public void run() {
        if (done || !session.delivering()) {
            return;
        }
        try {
            send();
        } catch (RuntimeException | OutOfMemoryError e) {
            // Left alone, the channel would never leave the snapshot; the client resubscribes elsewhere.
            done = true;
            log.error("snapshot of {} failed; cutting that connection", subscription.name(), e);
            session.services().metrics().deliveryFailed();
            session.abortAfterFailure();
        }
    }

    private void send() {
        OutboundWriter out = session.out();
        int budget = VALUES_PER_TURN;
        while (values.hasNext()) {
            if (!out.channelWritable()) {
                waiting = true;
                session.flush();
                return;
            }
            if (budget-- == 0) {
                session.flush();
                session.ctx().executor().execute(this);
                return;
            }
            LastValue value = values.next();
            if (subscription.inSnapshot(value.partition(), value.offset())) {
                session.services().metrics().delivered(1, out.gatherSnapshot(value));
            }
        }
        session.flush();
        done = true;
        Replay replay = subscription.snapshotSent();
        if (replay != null) {
            replay.run();
        }
    }
}
