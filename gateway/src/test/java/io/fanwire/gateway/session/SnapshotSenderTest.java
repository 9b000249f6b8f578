package io.fanwire.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A snapshot of many keys streams in bounded turns under the connection's backpressure, and the records written
 * meanwhile follow it, in order, through the replay.
 */
class SnapshotSenderTest {

    /** Keys of the topic: a snapshot of many frames (the cache here keeps 1 MiB per topic, about 4,000 keys). */
    private static final int KEYS = 3_000;

    private TestConnection connection;

    @AfterEach
    void close() {
        if (connection != null) {
            connection.close();
        }
    }

    @Test
    void aSnapshotWaitsForAClientThatDoesNotReadThenEndsWithWhatCameMeanwhile() {
        connection = new TestConnection(new TestConnection.Settings().snapshotTopics(TestConnection.TOPIC));
        for (int k = 0; k < KEYS; k++) {
            connection.ingest(0, k, "K" + k);
        }
        connection.stopReading();
        connection.subscribe(Subscribe.newBuilder().setChannel(TestConnection.TOPIC).setSnapshot(true));
        ServerFrame subscribed = connection.onlyFrame();
        assertTrue(subscribed.getReply().hasSubscribed(), "the reply, then nothing while the client does not "
                + "read: " + subscribed);
        // Written while the snapshot waits: key K1 gets a newer value, and a new key appears.
        connection.deliver(connection.ingest(0, KEYS, "K1"), connection.ingest(0, KEYS + 1, "new"));
        assertEquals(List.of(), connection.frames(), "nothing while the client does not read");
        assertEquals(Subscription.Phase.SNAPSHOT, connection.session().subscription(0).phase());

        connection.resumeReading();
        List<ServerFrame> frames = connection.frames();
        Map<String, Long> seen = new HashMap<>();
        boolean live = false;
        for (ServerFrame frame : frames) {
            Message m = frame.getMessage();
            if (!m.getSnapshot()) {
                live = true;
            }
            assertFalse(live && m.getSnapshot(), "every snapshot value comes before any later record: " + m);
            Long previous = seen.put(m.getKey(), m.getOffset());
            assertTrue(previous == null || previous < m.getOffset(), "never older after newer: " + m);
            assertTrue(m.getSnapshot() == (m.getOffset() < KEYS), m.toString());
        }
        assertEquals(KEYS + 1, seen.size(), "every key once, and the new one");
        assertEquals(KEYS, seen.get("K1"), "the snapshot value of K1 (if its turn came first), then its newer one");
        assertEquals(KEYS + 1, seen.get("new"));
        assertTrue(live, "the records written meanwhile follow the snapshot");

        connection.deliver(connection.ingest(0, KEYS + 2, "K2"));
        assertEquals(List.of((long) KEYS + 2), TestConnection.offsets(connection.frames()), "then live");
    }
}
