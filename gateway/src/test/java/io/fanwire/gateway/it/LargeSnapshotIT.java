package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * A snapshot of 100,000 keys (about 20 MB of frames) to a client that reads slowly, while records keep coming:
 * the node streams it under the connection's backpressure, so what it queues for the client stays near the
 * write-buffer high water mark instead of the whole snapshot, and the records written meanwhile follow the
 * snapshot with no gap and no duplicate.
 */
class LargeSnapshotIT {

    private static final int KEYS = 100_000;
    private static final int PARTITIONS = 4;
    private static final String FILLER = "x".repeat(160);
    private static final int LIVE_RECORDS = 2_000;
    /** The high water mark is 1 MiB by default; a gathering buffer and one turn of frames come on top. */
    private static final long QUEUED_BOUND = 2L << 20;

    private final String topic = "bigsnap-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void aSlowClientGetsEveryKeyThenEveryLaterRecordWhileTheNodeQueuesLittle() throws Exception {
        TestKafka.createTopic(topic, PARTITIONS);
        Map<String, String> last = new HashMap<>();
        try (TestProducer producer = new TestProducer()) {
            producer.awaitPartitions(topic, PARTITIONS);
            for (int k = 0; k < KEYS; k++) {
                String value = "k" + k + ":0:" + FILLER;
                producer.sendAsync(topic, "k" + k, value);
                last.put("k" + k, value);
            }
            producer.flush();
            try (Gateway gateway = TestGateway.start(List.of(topic), Map.of("snapshot.topics", topic,
                    "snapshot.topic.max.bytes", String.valueOf(256L << 20)))) {
                TestGateway.await("ready after loading " + KEYS + " keys", gateway::ready);
                AtomicBoolean sampling = new AtomicBoolean(true);
                AtomicLong mostQueued = new AtomicLong();
                Thread sampler = new Thread(() -> {
                    while (sampling.get()) {
                        mostQueued.accumulateAndGet(TestGateway.metric(gateway, "fanwire_outbound_pending_bytes"),
                                Math::max);
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "pending-sampler");
                sampler.start();
                try (RawWebSocket client = RawWebSocket.connect(gateway.port(), "fanwire.v1.proto",
                        16 * 1024)) {
                    client.sendFrame(0x2, ClientFrame.newBuilder().setId(1).setSubscribe(
                            Subscribe.newBuilder().setChannel(topic).setSnapshot(true)).build().toByteArray());
                    ServerFrame reply = client.readServerFrame();
                    assertNotNull(reply);
                    assertTrue(reply.getReply().hasSubscribed(), reply.toString());
                    long[] start = new long[PARTITIONS];
                    for (Position p : reply.getReply().getSubscribed().getPositionsList()) {
                        start[p.getPartition()] = p.getOffset();
                    }

                    // Records written while the snapshot streams: updates of existing keys and new keys.
                    List<Future<RecordMetadata>> live = new ArrayList<>();
                    Map<String, String> written = new HashMap<>();
                    Thread writer = new Thread(() -> {
                        for (int i = 0; i < LIVE_RECORDS; i++) {
                            String key = i % 10 == 0 ? "new" + i : "k" + (i * 37 % KEYS);
                            String value = key + ":" + (i + 1) + ":live";
                            synchronized (live) {
                                live.add(producer.sendAsync(topic, key, value));
                                written.put(key, value);
                            }
                            if (i % 100 == 99) {
                                try {
                                    Thread.sleep(100);
                                } catch (InterruptedException e) {
                                    return;
                                }
                            }
                        }
                        producer.flush();
                    }, "live-writer");
                    writer.start();

                    Map<String, String> values = new HashMap<>();
                    Map<Integer, Long> liveOffsets = new HashMap<>();
                    int snapshotValues = 0;
                    int liveReceived = 0;
                    boolean liveSeen = false;
                    long slowUntil = System.nanoTime() + 4_000_000_000L;
                    int read = 0;
                    // Every snapshot value comes before the first later record, so the last later record ends the read.
                    while (liveReceived < LIVE_RECORDS) {
                        ServerFrame frame = client.readServerFrame();
                        assertNotNull(frame, "connection ended after " + snapshotValues + " snapshot values, "
                                + liveReceived + " later records");
                        assertTrue(frame.hasMessage(), "after " + snapshotValues + " snapshot values and " + liveReceived
                                + " later records: " + frame);
                        Message m = frame.getMessage();
                        String key = m.getKey();
                        if (m.getSnapshot()) {
                            assertFalse(liveSeen, "a snapshot value after a later record: " + key);
                            assertTrue(m.getOffset() <= start[m.getPartition()], "at or below the positions: " + key);
                            assertEquals(null, values.put(key, m.getPayload().toStringUtf8()), "once: " + key);
                            snapshotValues++;
                        } else {
                            liveSeen = true;
                            assertTrue(m.getOffset() > start[m.getPartition()], "after the positions: " + m);
                            Long previous = liveOffsets.put(m.getPartition(), m.getOffset());
                            assertTrue(previous == null || previous < m.getOffset(), "in order, once: " + m);
                            values.put(key, m.getPayload().toStringUtf8());
                            liveReceived++;
                        }
                        if (++read % 500 == 0 && System.nanoTime() < slowUntil) {
                            Thread.sleep(10); // a slow reader for the first seconds: about 50,000 frames a second
                        }
                    }
                    writer.join();
                    sampling.set(false);
                    sampler.join();
                    synchronized (live) {
                        assertEquals(LIVE_RECORDS, live.size());
                        last.putAll(written);
                    }
                    assertEquals(LIVE_RECORDS, liveReceived, "every record written after the positions, once");
                    assertEquals(last, values, "each key ends at its last value");
                    assertTrue(mostQueued.get() < QUEUED_BOUND, "queued for the client at most "
                            + mostQueued.get() + " bytes while the snapshot streamed");
                    System.out.printf("large snapshot: %d values then %d later records; most queued %d bytes%n",
                            snapshotValues, liveReceived, mostQueued.get());
                } finally {
                    sampling.set(false);
                    sampler.join();
                }
            }
        }
    }
}
