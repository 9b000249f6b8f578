package io.fanwire.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Subscribe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The position and dedupe rules of PROTOCOL.md §4.2, on one subscription. */
class SubscriptionTest {

    private final List<String> seen = new ArrayList<>();
    private final List<Gap> gaps = new ArrayList<>();
    private final List<SubscriptionState> states = new ArrayList<>();
    private final Object connection = new Object();

    private final SubscriptionListener listener = new SubscriptionListener() {
        @Override
        public void onMessage(FanwireMessage m) {
            seen.add(m.partition() + "@" + m.offset() + (m.snapshot() ? "s" : ""));
        }

        @Override
        public void onGap(Gap gap) {
            gaps.add(gap);
        }

        @Override
        public void onStateChange(SubscriptionState state) {
            states.add(state);
        }
    };

    private static Position pos(int p, long o) {
        return Position.newBuilder().setPartition(p).setOffset(o).build();
    }

    private static Message msg(int p, long o) {
        return msg("k", p, o);
    }

    /** A record of {@code key}; "" for a keyless one. */
    private static Message msg(String key, int p, long o) {
        return Message.newBuilder().setChannel(key.isEmpty() ? "t" : "t/" + key).setKey(key).setPartition(p)
                .setOffset(o).setPayload(ByteString.copyFromUtf8(key + ":" + o)).build();
    }

    /** The clock of max_rate subscriptions, in nanoseconds: moved by the tests. */
    private long now;

    private Subscription rated(double maxRate, Position... positions) {
        Subscription sub = new Subscription(null, "t", SubscribeOptions.builder().maxRate(maxRate).build(), listener,
                () -> now);
        sub.subscribed(connection, List.of(positions));
        return sub;
    }

    private void at(double seconds) {
        now = (long) (seconds * 1e9);
    }

    private Subscription subscribed(SubscribeOptions options, Position... positions) {
        Subscription sub = new Subscription(null, "t", options, listener);
        sub.subscribed(connection, List.of(positions));
        return sub;
    }

    @Test
    void subscribedPositionsAreMergedWithMax() {
        Subscription sub = new Subscription(null, "t",
                SubscribeOptions.builder().resumeFrom(Map.of(0, 10L, 1, 3L)).build(), listener);
        sub.subscribed(connection, List.of(pos(0, 7), pos(1, 9), pos(2, -1)));
        assertEquals(Map.of(0, 10L, 1, 9L, 2, -1L), sub.positions());
        assertTrue(sub.ready().isDone());
        assertEquals(SubscriptionState.ACTIVE, sub.state());
    }

    @Test
    void aMessageAtOrBelowThePositionIsDiscardedNeverHandedTwice() {
        Subscription sub = subscribed(SubscribeOptions.DEFAULT, pos(0, 4), pos(1, -1));
        sub.deliver(msg(0, 5));
        sub.deliver(msg(0, 6));
        sub.deliver(msg(0, 6));
        sub.deliver(msg(0, 3));
        sub.deliver(msg(1, 0));
        sub.deliver(msg(0, 7));
        assertEquals(List.of("0@5", "0@6", "1@0", "0@7"), seen);
        assertEquals(2, sub.duplicatesDiscarded());
        assertEquals(4, sub.delivered());
        assertEquals(Map.of(0, 7L, 1, 0L), sub.positions());
    }

    @Test
    void aMessageOfAPartitionWithoutPositionIsKept() {
        Subscription sub = subscribed(SubscribeOptions.DEFAULT);
        sub.deliver(msg(3, 0));
        assertEquals(List.of("3@0"), seen);
    }

    @Test
    void aGapMovesThePositionToItsEndAndIsSurfaced() {
        Subscription sub = subscribed(SubscribeOptions.DEFAULT, pos(0, 4));
        sub.gap(io.fanwire.protocol.v1.Gap.newBuilder().setChannel("t").setPartition(0).setFromOffset(5)
                .setToOffset(99).setReason("retention").build());
        sub.deliver(msg(0, 50));
        sub.deliver(msg(0, 100));
        assertEquals(List.of("0@100"), seen);
        assertEquals(List.of(new Gap("t", 0, 5, 99, "retention")), gaps);
        // A gap behind the position does not move it back.
        sub.gap(io.fanwire.protocol.v1.Gap.newBuilder().setChannel("t").setPartition(0).setFromOffset(1)
                .setToOffset(2).build());
        assertEquals(100L, sub.positions().get(0));
    }

    @Test
    void goAwayPositionsAreAdoptedWithMaxAndResumedOnTheNextConnection() {
        Subscription sub = subscribed(SubscribeOptions.DEFAULT, pos(0, 4), pos(1, 8));
        sub.deliver(msg(0, 6));
        sub.adopt(List.of(pos(0, 5), pos(1, 12)));
        sub.connectionEnded();
        assertEquals(SubscriptionState.RESUMING, sub.state());
        Subscribe next = sub.subscribeRequest();
        assertEquals(List.of(pos(0, 6), pos(1, 12)), next.getResumeFromList());
        assertEquals(0.0, next.getMaxRate());
        assertFalse(next.getSnapshot());
        sub.deliver(msg(0, 7));
        assertEquals(List.of("0@6"), seen, "not active on any connection: nothing handed on");
    }

    @Test
    void withMaxRateARecordHeldForItsSlotIsHandedOnAfterALaterOffsetOfAnotherKey() {
        Subscription sub = rated(2, pos(0, -1), pos(1, -1));
        sub.deliver(msg("a", 0, 0));
        sub.deliver(msg("b", 0, 2)); // b's slot was free, a@1 waited for a's
        sub.deliver(msg("a", 0, 1));
        sub.deliver(msg("a", 0, 1));
        sub.deliver(msg("b", 0, 1));
        sub.deliver(msg("", 0, 3));
        sub.deliver(msg("", 0, 3));
        sub.deliver(msg("a", 1, 0)); // another partition: a key of its own
        assertEquals(List.of("0@0", "0@2", "0@1", "0@3", "1@0"), seen);
        assertEquals(3, sub.duplicatesDiscarded(), "a@1 again, b older than b@2, the keyless record again");
        assertEquals(Map.of(0, -1L, 1, -1L), sub.positions(), "the positions lag: nothing is a second old yet");
    }

    @Test
    void withMaxRateThePositionsTheGatewayVouchesForDiscardEveryKeyAtOrBelowThem() {
        Subscription sub = rated(2, pos(0, 10));
        sub.deliver(msg("a", 0, 9));
        sub.deliver(msg("a", 0, 11));
        sub.gap(io.fanwire.protocol.v1.Gap.newBuilder().setChannel("t").setPartition(0).setFromOffset(12)
                .setToOffset(20).build());
        sub.deliver(msg("b", 0, 20));
        sub.adopt(List.of(pos(0, 30))); // a GoAway's
        sub.deliver(msg("c", 0, 30));
        sub.deliver(msg("c", 0, 31));
        sub.deliver(msg("c", 0, 29).toBuilder().setSnapshot(true).build());
        assertEquals(List.of("0@11", "0@31", "0@29s"), seen);
        assertEquals(Map.of(0, 30L), sub.positions());
    }

    @Test
    void withMaxRateAnAbruptLossResumesFarEnoughBackForTheHeldRecords() {
        Subscription sub = rated(2, pos(0, -1)); // lag: 0.5 s + 1 s margin
        at(0);
        sub.deliver(msg("a", 0, 0));
        at(0.5);
        sub.deliver(msg("b", 0, 1));
        at(3);
        sub.deliver(msg("a", 0, 2)); // b@3 waits at the gateway for b's slot
        sub.deliver(msg("c", 0, 4));
        assertEquals(Map.of(0, 1L), sub.positions(), "what was received 1.5 s before the last record");
        sub.connectionEnded(); // no GoAway: the node died holding b@3
        Subscribe resume = sub.subscribeRequest();
        assertEquals(List.of(pos(0, 1)), resume.getResumeFromList());
        assertEquals(2.0, resume.getMaxRate());

        Object next = new Object();
        sub.subscribing(next);
        sub.subscribed(next, List.of(pos(0, 1)));
        at(4);
        for (long offset = 2; offset <= 5; offset++) {
            sub.deliver(msg(offset == 2 ? "a" : offset == 3 ? "b" : offset == 4 ? "c" : "a", 0, offset));
        }
        assertEquals(List.of("0@0", "0@1", "0@2", "0@4", "0@3", "0@5"), seen);
        assertEquals(2, sub.duplicatesDiscarded(), "a@2 and c@4, sent again");
        assertEquals(Map.of(0, 1L), sub.positions(), "the new connection's records are timed afresh");
    }

    @Test
    void aSnapshotIsAskedOnceThenTheSubscriptionResumes() {
        Subscription sub = new Subscription(null, "t", SubscribeOptions.builder().snapshot(true).build(), listener);
        assertTrue(sub.subscribeRequest().getSnapshot());
        sub.connectionEnded();
        assertTrue(sub.subscribeRequest().getSnapshot(), "never subscribed yet: still a snapshot");
        sub.subscribed(connection, List.of(pos(0, 20)));
        // Snapshot values are at or before the positions: handed on, and they do not move the position.
        sub.deliver(msg(0, 12).toBuilder().setSnapshot(true).build());
        sub.deliver(msg(0, 19).toBuilder().setSnapshot(true).build());
        sub.deliver(msg(0, 21));
        assertEquals(List.of("0@12s", "0@19s", "0@21"), seen);
        sub.connectionEnded();
        Subscribe resume = sub.subscribeRequest();
        assertFalse(resume.getSnapshot());
        assertEquals(List.of(pos(0, 21)), resume.getResumeFromList());
    }

    @Test
    void closingForgetsPositionsAndStopsDelivery() {
        Subscription sub = subscribed(SubscribeOptions.DEFAULT, pos(0, 4));
        sub.closed(new NotConnectedException("CLOSED", "unsubscribed"));
        sub.deliver(msg(0, 5));
        assertTrue(seen.isEmpty());
        assertTrue(sub.positions().isEmpty());
        assertEquals(SubscriptionState.CLOSED, sub.state());
        assertEquals(List.of(SubscriptionState.ACTIVE, SubscriptionState.CLOSED), states);
    }

    @Test
    void aRefusedSubscriptionFailsItsReadyFutureWithTheCode() {
        Subscription sub = new Subscription(null, "inbox", SubscribeOptions.DEFAULT, listener);
        sub.refused(new RequestRefusedException("FORBIDDEN", "no"));
        assertTrue(sub.ready().isCompletedExceptionally());
        assertEquals("FORBIDDEN", sub.failure().code());
        assertEquals(SubscriptionState.FAILED, sub.state());
        sub.connectionEnded();
        assertEquals(SubscriptionState.FAILED, sub.state(), "not retried");
    }

    @Test
    void aListenerThatThrowsDoesNotStopDelivery() {
        Subscription sub = new Subscription(null, "t", SubscribeOptions.DEFAULT, m -> {
            seen.add(m.offset() + "");
            throw new IllegalStateException("application bug");
        });
        sub.subscribed(connection, List.of(pos(0, 0)));
        sub.deliver(msg(0, 1));
        sub.deliver(msg(0, 2));
        assertEquals(List.of("1", "2"), seen);
    }

    @Test
    void framesBeforeTheSubscribeReplyAreHandledAfterItInOrder() {
        Subscription sub = new Subscription(null, "t", SubscribeOptions.builder().resumeFrom(Map.of(0, 4L)).build(),
                listener);
        sub.subscribing(connection);
        assertTrue(sub.offer(connection, msg(0, 5)));
        assertTrue(sub.offer(connection, io.fanwire.protocol.v1.Gap.newBuilder().setChannel("t").setPartition(0)
                .setFromOffset(6).setToOffset(7).build()));
        assertTrue(sub.offer(connection, msg(0, 8)));
        assertFalse(sub.offer(new Object(), msg(0, 9)), "another connection's frames are not this one's");
        assertTrue(seen.isEmpty());
        sub.subscribed(connection, List.of(pos(0, 4)));
        assertEquals(List.of("0@5", "0@8"), seen);
        assertEquals(1, gaps.size());
        assertEquals(8L, sub.positions().get(0));
    }

    @Test
    void framesHeldForARefusedSubscribeAreDropped() {
        Subscription sub = new Subscription(null, "t", SubscribeOptions.DEFAULT, listener);
        sub.subscribing(connection);
        sub.offer(connection, msg(0, 5));
        sub.refused(new RequestRefusedException("FORBIDDEN", "no"));
        sub.subscribed(connection, List.of());
        assertTrue(seen.isEmpty());
    }

    @Test
    void aSubscribeIsSentOncePerConnection() {
        Subscription sub = new Subscription(null, "t", SubscribeOptions.DEFAULT, listener);
        assertFalse(sub.sentOn(connection));
        sub.subscribing(connection);
        assertTrue(sub.sentOn(connection));
        sub.subscribed(connection, List.of(pos(0, 1)));
        assertTrue(sub.sentOn(connection));
        sub.connectionEnded();
        assertFalse(sub.sentOn(connection));
    }
}
