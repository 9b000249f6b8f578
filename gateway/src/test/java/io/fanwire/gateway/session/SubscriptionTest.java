package io.fanwire.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.history.PartitionLog;
import io.fanwire.gateway.subscription.ChannelName;
import java.util.Arrays;
import java.util.Collections;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The state machine of one subscription: its phases, its skip positions, and the seam from replay to live. */
class SubscriptionTest {

    private static final ChannelName QUOTES = new ChannelName("quotes", null);

    private TestConnection connection;
    private PartitionLog[] logs;

    @BeforeEach
    void open() {
        connection = new TestConnection(new TestConnection.Settings().partitions(2));
        for (long offset = 0; offset < 5; offset++) {
            connection.ingest(0, offset, "K" + offset);
        }
        logs = connection.history.partitions("quotes");
    }

    @AfterEach
    void close() {
        connection.close();
    }

    private Subscription subscription(long[] resumeFrom) {
        return new Subscription(connection.session(), QUOTES, logs, resumeFrom);
    }

    @Test
    void aLiveSubscriptionStartsAfterWhatWasReadAndFiltersNothing() {
        Subscription subscription = subscription(null);
        assertEquals(Subscription.Phase.SUBSCRIBING, subscription.phase());
        subscription.startLive();
        assertEquals(Subscription.Phase.LIVE, subscription.phase());
        assertFalse(subscription.filters());
        assertEquals(4, subscription.start(0));
        assertEquals(-1, subscription.start(1));
        assertTrue(subscription.takesLive(0, 3), "no skip: even a record queued before the subscription");
    }

    @Test
    void eachTransitionIsAllowedFromItsPhaseOnly() {
        Subscription subscription = subscription(null);
        subscription.startLive();
        assertThrows(IllegalStateException.class, subscription::startLive);
        assertThrows(IllegalStateException.class, () -> subscription.startSnapshot(Collections.emptyIterator()));
        assertThrows(IllegalStateException.class, subscription::snapshotSent);
        assertThrows(IllegalStateException.class, subscription::replayFinished);
        assertThrows(IllegalStateException.class, subscription(null)::startReplay, "no position to resume from");
    }

    @Test
    void aSnapshotLeavesEveryPartitionToTheReplayThatFollowsIt() {
        Subscription subscription = subscription(null);
        subscription.startSnapshot(Collections.emptyIterator());
        connection.session().add(subscription);
        assertEquals(Subscription.Phase.SNAPSHOT, subscription.phase());
        assertTrue(subscription.inSnapshot(0, 4));
        assertFalse(subscription.inSnapshot(0, 5));
        assertFalse(subscription.takesLive(0, 5), "written while the snapshot streams: the replay's to send");
        assertEquals(4, subscription.position(0, logs[0], connection.session().loopIndex()),
                "the client has the snapshot's start, nothing after it yet");

        Replay replay = subscription.snapshotSent();
        assertEquals(Subscription.Phase.REPLAYING, subscription.phase());
        assertTrue(replay.covers(0) && replay.covers(1));
        subscription.partitionCaughtUp(0, 4, connection.session().loopIndex());
        subscription.partitionCaughtUp(1, -1, connection.session().loopIndex());
        subscription.replayFinished();
        assertEquals(Subscription.Phase.LIVE, subscription.phase());
        assertFalse(subscription.takesLive(0, 4), "offsets 0..4 may still come live; the snapshot covered them");
        assertTrue(subscription.takesLive(0, 5));
    }

    @Test
    void aReplayOwnsItsPartitionsUntilEachIsHandedOverAtItsCursor() {
        long[] resumeFrom = new long[2];
        Arrays.fill(resumeFrom, ResumePositions.LIVE);
        resumeFrom[0] = 1;
        Subscription subscription = subscription(resumeFrom);
        Replay replay = subscription.startReplay();
        connection.session().add(subscription);
        assertEquals(Subscription.Phase.REPLAYING, subscription.phase());
        assertFalse(subscription.liveIn(0));
        assertTrue(subscription.liveIn(1), "a partition the client gave no position for is live at once");
        assertFalse(subscription.takesLive(0, 100), "the replay delivers partition 0");
        assertTrue(subscription.takesLive(1, 0));
        assertTrue(replay.covers(0));

        subscription.partitionCaughtUp(0, 4, connection.session().loopIndex());
        assertTrue(subscription.liveIn(0));
        subscription.replayFinished();
        assertEquals(Subscription.Phase.LIVE, subscription.phase());
        assertEquals(4, subscription.position(0, logs[0], connection.session().loopIndex()),
                "the client has everything up to the replay's cursor");
        assertTrue(subscription.filters());
        assertFalse(subscription.takesLive(0, 4), "queued for the loop and replayed already");
        assertTrue(subscription.takesLive(0, 5));
        assertFalse(subscription.filters());
    }

    @Test
    void aPartitionTheLoopHasPassedNeedsNoSkipAtTheSeam() {
        long[] resumeFrom = {1, ResumePositions.LIVE};
        Subscription subscription = subscription(resumeFrom);
        subscription.startReplay();
        connection.session().add(subscription);
        logs[0].loopProcessed(connection.session().loopIndex(), 4);
        subscription.partitionCaughtUp(0, 4, connection.session().loopIndex());
        subscription.replayFinished();
        assertFalse(subscription.filters());
    }

    @Test
    void unsubscribingStopsTheReplayAndTheFiltering() {
        long[] resumeFrom = {1, ResumePositions.LIVE};
        Subscription subscription = subscription(resumeFrom);
        subscription.startReplay();
        connection.session().add(subscription);
        subscription.unsubscribe();
        assertEquals(Subscription.Phase.UNSUBSCRIBED, subscription.phase());
        assertFalse(subscription.filters());
        assertTrue(subscription.takesLive(0, 0));
    }
}
