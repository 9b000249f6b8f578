package io.fanwire.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeliveryLedgerTest {

    /** A producer whose counters the test moves by hand. */
    private static final class Counted implements ProducedRecords {
        final List<String> keys;
        final long[] next;

        Counted(String... keys) {
            this.keys = List.of(keys);
            this.next = new long[keys.length];
        }

        @Override
        public String runId() {
            return "run1";
        }

        @Override
        public List<String> keys() {
            return keys;
        }

        @Override
        public int keyIndex(String key) {
            return keys.indexOf(key);
        }

        @Override
        public long nextSeq(int k) {
            return next[k];
        }

        @Override
        public int failedBetween(int k, long from, long to) {
            return 0;
        }
    }

    private final Counted feed = new Counted("a", "b");
    private final List<Long> latencies = new ArrayList<>();

    private static ServerFrame record(String run, String key, long seq, int partition, long offset) {
        return ServerFrame.newBuilder().setMessage(Message.newBuilder().setChannel("t/" + key).setKey(key)
                .setPartition(partition).setOffset(offset)
                .putHeaders(RecordFeed.RUN_HEADER, run).putHeaders(RecordFeed.SEQ_HEADER, Long.toString(seq))
                .putHeaders(RecordFeed.SENT_HEADER, "1000")).build();
    }

    private void absorb(DeliveryLedger ledger, ServerFrame frame) {
        ledger.absorb(frame, 1_025, (sent, received) -> latencies.add(received - sent));
    }

    private DeliveryLedger subscribed(String channel) {
        DeliveryLedger ledger = new DeliveryLedger(feed, channel);
        ledger.onSubscribed(List.of(Position.newBuilder().setPartition(0).setOffset(9).build(),
                Position.newBuilder().setPartition(1).setOffset(-1).build()));
        return ledger;
    }

    @Test
    void everyRecordAfterTheSubscribeArrivedOnceInOrder() {
        feed.next[0] = 2; // sent before the subscribe: may or may not arrive
        DeliveryLedger ledger = subscribed("t/a");
        feed.next[0] = 5;
        absorb(ledger, record("run1", "a", 1, 0, 10));
        assertFalse(ledger.complete());
        absorb(ledger, record("run1", "a", 2, 0, 11));
        absorb(ledger, record("run1", "a", 3, 0, 12));
        absorb(ledger, record("run1", "a", 4, 0, 13));
        assertTrue(ledger.complete());
        assertEquals(Optional.empty(), ledger.verdict());
        assertEquals(List.of(25L, 25L, 25L, 25L), latencies);
    }

    @Test
    void aLostRecordFailsTheVerdictAndNamesTheKey() {
        DeliveryLedger ledger = subscribed("t/a");
        feed.next[0] = 3;
        absorb(ledger, record("run1", "a", 0, 0, 10));
        absorb(ledger, record("run1", "a", 2, 0, 12));
        String verdict = ledger.verdict().orElseThrow();
        assertTrue(verdict.startsWith("t/a: 1 lost, 0 twice or out of order; lost in a (1 of 3"), verdict);
    }

    @Test
    void aRepeatedRecordFailsTheVerdict() {
        DeliveryLedger ledger = subscribed("t/a");
        feed.next[0] = 2;
        absorb(ledger, record("run1", "a", 0, 0, 10));
        absorb(ledger, record("run1", "a", 1, 0, 11));
        absorb(ledger, record("run1", "a", 1, 0, 11));
        String verdict = ledger.verdict().orElseThrow();
        assertTrue(verdict.contains("0 lost, 1 twice or out of order"), verdict);
    }

    @Test
    void nothingDueIsNotAPass() {
        DeliveryLedger ledger = subscribed("t/a");
        assertTrue(ledger.verdict().orElseThrow().contains("produced no record"));
    }

    @Test
    void otherRunsAndSnapshotsAreIgnoredButMovePositions() {
        DeliveryLedger ledger = subscribed("t/a");
        feed.next[0] = 1;
        absorb(ledger, record("older-run", "a", 0, 0, 20));
        absorb(ledger, record("run1", "a", 0, 1, 4));
        assertEquals(Optional.empty(), ledger.verdict());
        assertEquals(List.of(Position.newBuilder().setPartition(0).setOffset(20).build(),
                Position.newBuilder().setPartition(1).setOffset(4).build()), ledger.resumePositions());
    }

    @Test
    void aWholeTopicLedgerCoversEveryKeyAndAGapFailsIt() {
        DeliveryLedger ledger = subscribed("t");
        feed.next[0] = 1;
        feed.next[1] = 1;
        absorb(ledger, record("run1", "a", 0, 0, 10));
        assertFalse(ledger.complete());
        absorb(ledger, record("run1", "b", 0, 1, 3));
        assertEquals(Optional.empty(), ledger.verdict());
        absorb(ledger, ServerFrame.newBuilder().setGap(Gap.newBuilder().setChannel("t").setPartition(1)
                .setFromOffset(4).setToOffset(9).setReason("slow consumer")).build());
        assertTrue(ledger.verdict().orElseThrow().contains("1 gaps"));
        assertEquals(9, ledger.resumePositions().get(1).getOffset());
    }
}
