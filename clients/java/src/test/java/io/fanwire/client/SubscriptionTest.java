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
        return Message.newBuilder().setChannel("t/k").setKey("k").setPartition(p).setOffset(o)
                .setPayload(ByteString.copyFromUtf8("k:" + o)).build();
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
        Subscription sub = subscribed(SubscribeOptions.builder().maxRate(5).build(), pos(0, 4), pos(1, 8));
        sub.deliver(msg(0, 6));
        sub.adopt(List.of(pos(0, 5), pos(1, 12)));
        sub.connectionEnded();
        assertEquals(SubscriptionState.RESUMING, sub.state());
        Subscribe next = sub.subscribeRequest();
        assertEquals(List.of(pos(0, 6), pos(1, 12)), next.getResumeFromList());
        assertEquals(5.0, next.getMaxRate());
        assertFalse(next.getSnapshot());
        sub.deliver(msg(0, 7));
        assertEquals(List.of("0@6"), seen, "not active on any connection: nothing handed on");
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
