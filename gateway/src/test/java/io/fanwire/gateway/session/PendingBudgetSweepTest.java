package io.fanwire.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import io.fanwire.protocol.v1.ServerFrame;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The node-wide pending budget: counted per loop, and past it the connections furthest behind go first. */
class PendingBudgetSweepTest {

    private static final String OVER_BUDGET = "fanwire_limit_exceeded_total{limit=\"node_pending_bytes\"}";

    private TestConnection far;
    private TestConnection near;

    @AfterEach
    void close() {
        if (far != null) {
            far.close();
            near.close();
        }
    }

    /** Two connections that stopped reading on one loop: {@code far} is owed three keys, {@code near} one. */
    private IdleSweep twoBehind() {
        far = new TestConnection(new TestConnection.Settings().policies(SlowConsumerPolicy.CONFLATE));
        near = new TestConnection(new TestConnection.Settings().policies(SlowConsumerPolicy.CONFLATE));
        IdleSweep loop = far.services.idleSweeps().get(0);
        near.services.idleSweeps().get(0).unregister(near.session());
        loop.register(near.session());
        for (TestConnection connection : List.of(far, near)) {
            connection.subscribe("quotes");
            connection.frames();
            connection.stopReading();
        }
        far.publish(0, 0, "A");
        far.publish(0, 1, "B");
        far.publish(0, 2, "C");
        near.publish(0, 3, "D");
        return loop;
    }

    @Test
    void underTheBudgetTheSweepOnlyCounts() {
        IdleSweep loop = twoBehind();
        long pending = far.session().pendingBytes() + near.session().pendingBytes();
        assertTrue(far.session().pendingBytes() > 2 * near.session().pendingBytes(), "held records count");
        PendingBudget budget = new PendingBudget(pending, 1);
        new PendingBudgetSweep(loop, budget, 0).run();
        assertEquals(pending, budget.total());
        assertEquals(0, far.metric(OVER_BUDGET));
        assertFalse(far.session().closing() || near.session().closing());
    }

    @Test
    void overTheBudgetTheConnectionFurthestBehindGetsAGoAwayAndTheOtherStays() {
        IdleSweep loop = twoBehind();
        long pending = far.session().pendingBytes() + near.session().pendingBytes();
        // Shedding `far` alone brings the node under 90% of this budget.
        PendingBudget budget = new PendingBudget(2 * near.session().pendingBytes(), 1);
        assertTrue(pending > budget.limit());
        new PendingBudgetSweep(loop, budget, 0).run();

        assertTrue(far.session().closing());
        List<ServerFrame> frames = far.frames();
        assertTrue(frames.get(0).hasGoAway(), frames.toString());
        assertEquals(-1, frames.get(0).getGoAway().getResumeFrom(0).getOffset(),
                "positions below what was held for it: it resumes and loses nothing");
        assertEquals(List.of(1008), far.closeStatuses());
        assertEquals(1, far.metric(OVER_BUDGET));
        assertFalse(near.session().closing(), "the connection less behind stays");

        new PendingBudgetSweep(loop, budget, 0).run();
        assertFalse(near.session().closing(), "what a closing connection holds counts as shed already");
        near.resumeReading();
        assertEquals(List.of(3L), TestConnection.offsets(near.frames()));
    }

    /**
     * Between sweeps, over the budget, a connection is cut on the spot only if it stays past its low water mark
     * once its drain is handed to the socket; one that reads is not cut for a large drain (PendingBudgetIT
     * shows the other half, with clients that do not read: an embedded channel always reads).
     */
    @Test
    void overTheBudgetALargeDrainToAConnectionThatReadsIsNoReasonToCutIt() {
        far = new TestConnection(new TestConnection.Settings().pendingBudget(1));
        near = new TestConnection(new TestConnection.Settings().pendingBudget(1));
        far.subscribe("quotes");
        far.frames();
        // One drain of more than the low water mark (8 KiB here): queued, unflushed, when the budget is checked.
        EncodedRecord[] batch = new EncodedRecord[600];
        for (int offset = 0; offset < batch.length; offset++) {
            batch[offset] = far.ingest(0, offset, "K" + offset);
        }
        far.deliver(batch);
        assertFalse(far.session().closing());
        assertEquals(600, TestConnection.offsets(far.frames()).size());
        assertEquals(0, far.metric(OVER_BUDGET));
    }

    @Test
    void anUnsetBudgetIsAQuarterOfTheDirectMemory() {
        assertEquals(256L << 20, PendingBudget.resolve(0, 1L << 30));
        assertEquals(4096, PendingBudget.resolve(4096, 1L << 30));
    }
}
