package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.config.GatewayConfig;
import io.fanwire.gateway.testing.SequenceProducer;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code Subscribe{snapshot: true}} on a snapshot topic: the last value of each matching key first, marked
 * {@code snapshot}, then live records with no gap and no duplicate — also while records keep arriving — and a
 * fresh node loads the topic from its beginning before it reports ready.
 */
class SnapshotIT {

    private final String topic = "snap-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void aFreshNodeServesTheLastValueOfEachKeyThenLive() throws Exception {
        TestKafka.createTopic(topic, 3);
        try (SequenceProducer producer = new SequenceProducer(topic, 8)) {
            producer.send(80);
            Map<String, String> raw = TestGateway.settings(List.of(topic));
            raw.put("snapshot.topics", topic);
            try (Gateway gateway = Gateway.start(GatewayConfig.from(raw))) {
                TestGateway.await("ready after loading the snapshot topic", gateway::ready);
                try (WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
                    Reply reply = client.subscribe(Subscribe.newBuilder().setChannel(topic).setSnapshot(true).build());
                    assertTrue(reply.hasSubscribed(), reply.toString());
                    Map<String, Long> last = new HashMap<>();
                    for (int i = 0; i < 8; i++) {
                        Message m = client.awaitMessage();
                        assertTrue(m.getSnapshot(), m.toString());
                        String[] kv = m.getPayload().toStringUtf8().split(":");
                        assertEquals(null, last.put(kv[0], Long.parseLong(kv[1])), "one snapshot value per key");
                    }
                    for (long seq : last.values()) {
                        assertEquals(9, seq, "the last value of each key");
                    }
                    client.assertNothingWithin(Duration.ofMillis(300));

                    producer.send(8);
                    for (int i = 0; i < 8; i++) {
                        Message m = client.awaitMessage();
                        assertFalse(m.getSnapshot());
                        assertTrue(m.getPayload().toStringUtf8().endsWith(":10"), m.toString());
                    }
                }
                try (WsTestClient keyed = WsTestClient.proto(TestGateway.wsUri(gateway))) {
                    keyed.subscribe(Subscribe.newBuilder().setChannel(topic + "/k3").setSnapshot(true).build());
                    Message m = keyed.awaitMessage();
                    assertTrue(m.getSnapshot());
                    assertEquals("k3:10", m.getPayload().toStringUtf8());
                    keyed.assertNothingWithin(Duration.ofMillis(300));
                }
            }
        }
    }

    /**
     * Snapshots taken while records keep coming: per key, its first message (the snapshot value, or a newer
     * one live), then every later one, once, in order.
     */
    @Test
    void snapshotUnderLoadHasNoSeam() throws Exception {
        TestKafka.createTopic(topic, 4);
        try (SequenceProducer producer = new SequenceProducer(topic, 16);
             Gateway gateway = TestGateway.start(List.of(topic), Map.of("snapshot.topics", topic))) {
            producer.send(64);
            producer.start(1_000);
            TestGateway.pause(Duration.ofMillis(300));
            try (WsTestClient client = WsTestClient.proto(TestGateway.wsUri(gateway))) {
                client.subscribe(Subscribe.newBuilder().setChannel(topic).setSnapshot(true).build());
                TestGateway.pause(Duration.ofMillis(500));
                producer.stop();
                Map<String, Integer> sent = producer.sent();
                Map<String, Long> next = new HashMap<>();
                long deadline = System.nanoTime() + WsTestClient.WAIT.toNanos();
                while (!done(next, sent)) {
                    ServerFrame frame = client.poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                    assertTrue(frame != null && frame.hasMessage(), "got " + frame + "; progress " + next);
                    Message m = frame.getMessage();
                    String[] kv = m.getPayload().toStringUtf8().split(":");
                    long seq = Long.parseLong(kv[1]);
                    Long expected = next.get(kv[0]);
                    if (expected == null) {
                        // Its snapshot value, or, for a key written while the subscribe ran, its newer value live.
                    } else {
                        assertFalse(m.getSnapshot(), m.toString());
                        assertEquals(expected.longValue(), seq, "key " + kv[0]);
                    }
                    next.put(kv[0], seq + 1);
                }
                client.assertNothingWithin(Duration.ofMillis(300));
            }
        }
    }

    @Test
    void snapshotsAreRefusedWhereTheyDoNotApply() throws Exception {
        TestKafka.createTopic(topic, 1);
        try (Gateway gateway = TestGateway.start(List.of(topic));
             WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            Reply reply = client.subscribe(Subscribe.newBuilder().setChannel(topic).setSnapshot(true).build());
            assertEquals("BAD_REQUEST", reply.getError().getCode(), reply.toString());
        }
    }

    private static boolean done(Map<String, Long> next, Map<String, Integer> sent) {
        for (Map.Entry<String, Integer> e : sent.entrySet()) {
            Long n = next.get(e.getKey());
            if (n == null || n < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
