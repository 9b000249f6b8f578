package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.client.FanwireClient;
import io.fanwire.client.Format;
import io.fanwire.client.SubscribeOptions;
import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Slow-consumer policies over real sockets: a client that stops reading (a {@link RawWebSocket} with a tiny
 * receive buffer) gets exactly its policy's treatment once its outbound buffer passes the high water mark,
 * then, if it reads again, what it is owed; a healthy client on the same gateway receives every record.
 */
class SlowConsumerIT {

    /** Enough data to fill the frozen client's socket buffers on both ends and pass the high water mark. */
    private static final int RECORDS = 6_000;
    private static final String PAD = "x".repeat(2048);

    private final String topic = "slow-" + UUID.randomUUID().toString().substring(0, 8);

    private static Map<String, String> settings(String policy, long maxPendingBytes) {
        return Map.of(
                "slow.consumer.policy", policy,
                "ws.max.pending.bytes", Long.toString(maxPendingBytes),
                "ws.write.buffer.low.bytes", Integer.toString(32 * 1024),
                "ws.write.buffer.high.bytes", Integer.toString(64 * 1024));
    }

    @Test
    void disconnectPolicySendsGoAwayAndCloses1008WhileOthersReceiveEverything() throws Exception {
        TestKafka.createTopic(topic, 1);
        try (Gateway gateway = TestGateway.start(List.of(topic), settings("*=disconnect", 16 << 20));
             TestProducer producer = new TestProducer();
             WsTestClient healthy = WsTestClient.proto(TestGateway.wsUri(gateway));
             RawWebSocket frozen = subscribedFrozenClient(gateway)) {
            healthy.subscribeOk(topic);
            TestGateway.await("both subscribed", () -> gateway.metrics().subscriptions() == 2);

            // In the background: the frozen client must start reading within the close grace (1 s).
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> produce(producer, i -> "k", RECORDS));

            TestGateway.await("frozen client disconnected",
                    () -> TestGateway.metric(gateway, "fanwire_slow_consumer_disconnects_total") == 1);
            assertGoAwayThenClose1008(frozen);
            sent.get(WsTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(RECORDS, healthy.awaitMessages(RECORDS).size());
            TestGateway.await("frozen connection gone", () -> gateway.metrics().connections() == 1);
            assertEquals(0, TestGateway.metric(gateway, "fanwire_records_dropped_total"));
        }
    }

    /**
     * The default policy is lossless: an inbox client that stops reading gets a GoAway with its positions and is
     * closed; reconnecting from those positions, it receives every record it had not read, once, in order. Under
     * the old default, conflate, it kept only the newest record of its key.
     */
    @Test
    void aSlowInboxClientUnderTheDefaultsResumesAndGetsEveryRecord() throws Exception {
        TestKafka.createTopic(topic, 1);
        Map<String, String> defaults = new HashMap<>(settings("*=unused", 16 << 20));
        defaults.remove("slow.consumer.policy");
        try (Gateway gateway = TestGateway.start(List.of(topic), defaults);
             TestProducer producer = new TestProducer();
             RawWebSocket frozen = subscribedFrozenClient(gateway)) {
            TestGateway.await("subscribed", () -> gateway.metrics().subscriptions() == 1);
            produce(producer, i -> "alice", RECORDS);
            TestGateway.await("slow inbox client disconnected",
                    () -> TestGateway.metric(gateway, "fanwire_slow_consumer_disconnects_total") == 1);
            assertEquals(0, TestGateway.metric(gateway, "fanwire_records_conflated_total"));

            // What it had read, then where it resumes: from its GoAway's positions, as a client does, or, if the
            // gateway cut the connection (a second after its close frame) before the GoAway got through, from the
            // last record it read whole.
            List<RawWebSocket.Frame> frames = new java.util.ArrayList<>();
            RawWebSocket.Frame frame;
            while ((frame = frozen.readFrame()) != null && frame.opcode() != 0x8) {
                frames.add(frame);
            }
            List<Integer> seen = new java.util.ArrayList<>();
            List<Position> resumeFrom = null;
            long lastOffset = -1;
            for (RawWebSocket.Frame data : frames) {
                ServerFrame server;
                try {
                    server = data.serverFrame();
                } catch (java.io.IOException cut) {
                    break; // the last frame, cut short with the connection
                }
                if (server.hasMessage()) {
                    seen.add(seqOf(server.getMessage()));
                    lastOffset = server.getMessage().getOffset();
                } else if (server.hasGoAway()) {
                    assertEquals("slow consumer", server.getGoAway().getReason());
                    resumeFrom = server.getGoAway().getResumeFromList();
                }
            }
            if (resumeFrom == null) {
                resumeFrom = List.of(Position.newBuilder().setPartition(0).setOffset(lastOffset).build());
            }
            assertTrue(seen.size() < RECORDS, "the frozen client fell behind: read " + seen.size());

            // The product client resumes from there, and again from any later GoAway: with water marks this small,
            // its replay can put it behind as well.
            // A client keeps the larger of its own position and the GoAway's (PROTOCOL.md §4.2).
            Map<Integer, Long> positions = new HashMap<>();
            resumeFrom.forEach(position -> positions.put(position.getPartition(), position.getOffset()));
            positions.merge(0, lastOffset, Math::max);
            List<Integer> resumed = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            try (FanwireClient client = FanwireClient.builder(TestGateway.wsUri(gateway).toString())
                    .format(Format.PROTO).build()) {
                client.subscribe(topic, SubscribeOptions.builder().resumeFrom(positions).build(),
                        message -> resumed.add(Integer.parseInt(message.payloadString().substring(0,
                                message.payloadString().indexOf('|')))));
                int expected = RECORDS - seen.size();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (resumed.size() < expected && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(20);
                }
                assertEquals(expected, resumed.size(), "the rest after the resume (read " + seen.size()
                        + " before it; client " + client.stats() + "; gateway " + gateway.metrics().render() + ")");
            }
            seen.addAll(resumed);
            assertEquals(RECORDS, seen.size(), "no record twice");
            for (int i = 0; i < RECORDS; i++) {
                assertEquals(i, seen.get(i), "record " + i + " once, in order, across the resume");
            }
        }
    }

    @ParameterizedTest(name = "policy {0}, key {1}")
    @CsvSource({"*=drop, k", "*=conflate, ''"})
    void dropPolicyAndKeylessConflationSendAGapForWhatWasDropped(String policy, String key) throws Exception {
        TestKafka.createTopic(topic, 1);
        String recordKey = key.isEmpty() ? null : key;
        try (Gateway gateway = TestGateway.start(List.of(topic), settings(policy, 16 << 20));
             TestProducer producer = new TestProducer();
             WsTestClient healthy = WsTestClient.proto(TestGateway.wsUri(gateway));
             RawWebSocket frozen = subscribedFrozenClient(gateway)) {
            healthy.subscribeOk(topic);
            TestGateway.await("both subscribed", () -> gateway.metrics().subscriptions() == 2);

            produce(producer, i -> recordKey, RECORDS);
            assertEquals(RECORDS, healthy.awaitMessages(RECORDS).size());
            assertTrue(TestGateway.metric(gateway, "fanwire_records_dropped_total") > 0, "nothing was dropped");

            // Reading again: every offset arrives once, as a Message or inside a Gap, in order.
            boolean[] covered = new boolean[RECORDS];
            int coveredCount = 0;
            long lastOffset = -1;
            int gaps = 0;
            while (coveredCount < RECORDS) {
                ServerFrame frame = frozen.readServerFrame();
                assertNotNull(frame, "connection closed with " + frozen.closeStatus() + " after " + coveredCount);
                if (frame.hasMessage()) {
                    long offset = frame.getMessage().getOffset();
                    assertTrue(offset > lastOffset, "offset " + offset + " after " + lastOffset);
                    covered[(int) offset] = true;
                    coveredCount++;
                    lastOffset = offset;
                } else if (frame.hasGap()) {
                    Gap gap = frame.getGap();
                    assertEquals(topic, gap.getChannel());
                    assertEquals("slow consumer", gap.getReason());
                    assertTrue(gap.getFromOffset() > lastOffset && gap.getToOffset() >= gap.getFromOffset(),
                            "gap " + gap + " after offset " + lastOffset);
                    for (long o = gap.getFromOffset(); o <= gap.getToOffset(); o++) {
                        assertFalse(covered[(int) o], "offset " + o + " twice");
                        covered[(int) o] = true;
                        coveredCount++;
                    }
                    lastOffset = gap.getToOffset();
                    gaps++;
                }
            }
            assertTrue(gaps > 0, "no gap");
            assertEquals(gaps, TestGateway.metric(gateway, "fanwire_gaps_sent_total"));

            // Still connected and served live.
            producer.send(topic, recordKey, "after");
            ServerFrame next = frozen.readServerFrame();
            assertNotNull(next);
            assertEquals(RECORDS, next.getMessage().getOffset());
            assertEquals(2, gateway.metrics().connections());
        }
    }

    @Test
    void conflatePolicyDeliversTheNewestValuePerKeyInOrder() throws Exception {
        TestKafka.createTopic(topic, 1);
        int keys = 10;
        try (Gateway gateway = TestGateway.start(List.of(topic), settings("*=conflate", 16 << 20));
             TestProducer producer = new TestProducer();
             WsTestClient healthy = WsTestClient.proto(TestGateway.wsUri(gateway));
             RawWebSocket frozen = subscribedFrozenClient(gateway)) {
            healthy.subscribeOk(topic);
            TestGateway.await("both subscribed", () -> gateway.metrics().subscriptions() == 2);

            produce(producer, i -> "k" + (i % keys), RECORDS);
            assertEquals(RECORDS, healthy.awaitMessages(RECORDS).size());
            assertTrue(TestGateway.metric(gateway, "fanwire_records_conflated_total") > 0, "nothing conflated");

            int lastSeq = RECORDS / keys - 1;
            Map<String, Integer> seqByKey = new HashMap<>();
            long lastOffset = -1;
            int received = 0;
            while (seqByKey.size() < keys || seqByKey.values().stream().anyMatch(seq -> seq < lastSeq)) {
                ServerFrame frame = frozen.readServerFrame();
                assertNotNull(frame, "connection closed with " + frozen.closeStatus());
                assertFalse(frame.hasGap(), "a keyed record was dropped: " + frame);
                if (frame.hasMessage()) {
                    Message message = frame.getMessage();
                    int seq = seqOf(message);
                    Integer before = seqByKey.put(message.getKey(), seq);
                    assertTrue(before == null || seq > before, message.getKey() + ": " + seq + " after " + before);
                    assertTrue(message.getOffset() > lastOffset, "offset order in the partition");
                    lastOffset = message.getOffset();
                    received++;
                }
            }
            assertTrue(received < RECORDS, "conflation skipped nothing");
            assertEquals(0, TestGateway.metric(gateway, "fanwire_records_dropped_total"));
            assertEquals(2, gateway.metrics().connections());
        }
    }

    @Test
    void heldRecordsCountAgainstMaxPendingBytes() throws Exception {
        TestKafka.createTopic(topic, 1);
        try (Gateway gateway = TestGateway.start(List.of(topic), settings("*=conflate", 256 * 1024));
             TestProducer producer = new TestProducer();
             WsTestClient healthy = WsTestClient.proto(TestGateway.wsUri(gateway));
             RawWebSocket frozen = subscribedFrozenClient(gateway)) {
            healthy.subscribeOk(topic);
            TestGateway.await("both subscribed", () -> gateway.metrics().subscriptions() == 2);

            // Every record a new key: conflation cannot shrink anything, so the bound must cut in.
            CompletableFuture<Void> sent = CompletableFuture.runAsync(
                    () -> produce(producer, i -> "key-" + i, RECORDS));

            TestGateway.await("frozen client disconnected",
                    () -> TestGateway.metric(gateway, "fanwire_slow_consumer_disconnects_total") == 1);
            assertGoAwayThenClose1008(frozen);
            sent.get(WsTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(RECORDS, healthy.awaitMessages(RECORDS).size());
            TestGateway.await("frozen connection gone", () -> gateway.metrics().connections() == 1);
        }
    }

    private RawWebSocket subscribedFrozenClient(Gateway gateway) throws Exception {
        RawWebSocket frozen = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 4096);
        frozen.sendText("{\"id\":\"1\",\"subscribe\":{\"channel\":\"" + topic + "\"}}");
        return frozen;
    }

    private void produce(TestProducer producer, IntFunction<String> key, int count) {
        Map<String, Integer> seqs = new HashMap<>();
        for (int i = 0; i < count; i++) {
            String k = key.apply(i);
            int seq = seqs.merge(String.valueOf(k), 1, Integer::sum) - 1;
            producer.sendAsync(topic, k, seq + "|" + PAD);
        }
        producer.flush();
    }

    private static int seqOf(Message message) {
        String payload = message.getPayload().toStringUtf8();
        return Integer.parseInt(payload.substring(0, payload.indexOf('|')));
    }

    /**
     * Reads on, fast (the gateway cuts the connection a second after the close frame): the last frame before
     * the close must be a GoAway, and the close status 1008.
     */
    private static void assertGoAwayThenClose1008(RawWebSocket frozen) throws Exception {
        RawWebSocket.Frame lastData = null;
        RawWebSocket.Frame frame;
        while ((frame = frozen.readFrame()) != null && frame.opcode() != 0x8) {
            lastData = frame;
        }
        assertNotNull(frame, "the connection ended without a close frame");
        assertEquals(1008, frame.closeStatus());
        assertNotNull(lastData, "nothing read");
        ServerFrame last = lastData.serverFrame();
        assertTrue(last.hasGoAway(), "last frame before the close: " + last.getKindCase());
        assertEquals("slow consumer", last.getGoAway().getReason());
    }
}
