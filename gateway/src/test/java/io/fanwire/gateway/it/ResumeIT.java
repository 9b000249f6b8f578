package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.SequenceLog;
import io.fanwire.gateway.testing.SequenceProducer;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * {@code Subscribe.resume_from}: every record after the client's positions, in order, once, then live with no
 * seam — from the in-memory history, from Kafka through the catch-up readers, and from both while records keep
 * arriving; a {@code Gap} for offsets Kafka no longer has; {@code Subscribed.positions} to resume from.
 */
class ResumeIT {

    private final String topic = "resume-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void resumeFromMemoryThenLive() throws Exception {
        resumeThenLive(Map.of());
    }

    @Test
    void resumeFromKafkaThenLive() throws Exception {
        resumeThenLive(Map.of("history.partition.max.bytes", "0"));
    }

    /** A client that saw nothing resumes from another client's Subscribed positions and misses nothing. */
    private void resumeThenLive(Map<String, String> settings) throws Exception {
        TestKafka.createTopic(topic, 3);
        try (Gateway gateway = TestGateway.start(List.of(topic), settings);
             SequenceProducer producer = new SequenceProducer(topic, 6);
             WsTestClient first = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            Reply subscribed = first.subscribe(Subscribe.newBuilder().setChannel(topic).build());
            List<Position> start = subscribed.getSubscribed().getPositionsList();
            assertEquals(3, start.size(), subscribed.toString());

            producer.send(60);
            SequenceLog firstLog = SequenceLog.strict();
            receive(first, firstLog, 60);

            try (WsTestClient resumed = WsTestClient.json(TestGateway.wsUri(gateway))) {
                resumed.resume(topic, start);
                SequenceLog log = SequenceLog.strict();
                receive(resumed, log, 60);
                producer.send(30);
                receive(resumed, log, 90);
                assertNull(log.verdict(producer.sent()));
                resumed.assertNothingWithin(Duration.ofMillis(300));
            }
        }
    }

    @Test
    void keyedChannelResumesOnlyItsKey() throws Exception {
        TestKafka.createTopic(topic, 2);
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of("history.partition.max.bytes", "600"));
             SequenceProducer producer = new SequenceProducer(topic, 4);
             WsTestClient client = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            List<Position> start = client.subscribe(Subscribe.newBuilder().setChannel(topic).build())
                    .getSubscribed().getPositionsList();
            producer.send(80);
            receive(client, SequenceLog.strict(), 80);

            try (WsTestClient keyed = WsTestClient.proto(TestGateway.wsUri(gateway))) {
                keyed.resume(topic + "/k1", start);
                SequenceLog log = SequenceLog.strict();
                receive(keyed, log, 20);
                producer.send(8);
                receive(keyed, log, 22);
                assertNull(log.verdict(Map.of("k1", 22)));
                keyed.assertNothingWithin(Duration.ofMillis(300));
            }
        }
    }

    /** Clients resume while records keep coming: part from Kafka, part from memory, then live, with no seam. */
    @Test
    void resumeUnderLoadHasNoSeam() throws Exception {
        TestKafka.createTopic(topic, 4);
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of("history.partition.max.bytes", "8192"));
             SequenceProducer producer = new SequenceProducer(topic, 16);
             WsTestClient observer = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            List<Position> start = observer.subscribe(Subscribe.newBuilder().setChannel(topic).build())
                    .getSubscribed().getPositionsList();
            producer.start(2_000);
            List<WsTestClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    TestGateway.pause(Duration.ofMillis(400));
                    WsTestClient client = i % 2 == 0 ? WsTestClient.proto(TestGateway.wsUri(gateway))
                            : WsTestClient.json(TestGateway.wsUri(gateway));
                    clients.add(client);
                    client.resume(i == 3 ? topic + "/k3" : topic, start);
                }
                TestGateway.pause(Duration.ofMillis(400));
                producer.stop();
                Map<String, Integer> sent = producer.sent();
                int total = sent.values().stream().mapToInt(Integer::intValue).sum();
                for (int i = 0; i < 3; i++) {
                    SequenceLog log = SequenceLog.strict();
                    receive(clients.get(i), log, total);
                    assertNull(log.verdict(sent), "client " + i);
                }
                SequenceLog keyed = SequenceLog.strict();
                receive(clients.get(3), keyed, sent.get("k3"));
                assertNull(keyed.verdict(Map.of("k3", sent.get("k3"))));
            } finally {
                clients.forEach(WsTestClient::close);
            }
        }
    }

    @Test
    void slowClientGetsEveryPartitionEarlyFromMemory() throws Exception {
        slowClientGetsEveryPartitionEarly("4194304");
    }

    @Test
    void slowClientGetsEveryPartitionEarlyFromKafka() throws Exception {
        slowClientGetsEveryPartitionEarly("0");
    }

    /**
     * A client that reads slower than the replay can write resumes 8 partitions of 4,000 records each: the
     * replay serves them in turn, so it sees records of every partition within its first seconds, rather than
     * all of the first partition before any of the second.
     */
    private void slowClientGetsEveryPartitionEarly(String historyBytes) throws Exception {
        int partitions = 8;
        int perPartition = 4_000;
        TestKafka.createTopic(topic, partitions);
        // Water marks and send buffer of 64 KiB: what is queued for the client (a few hundred frames) is what the
        // replay wrote last, so the client reads in the replay's order, not in that of the first megabytes queued.
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of("history.partition.max.bytes", historyBytes,
                "ws.write.buffer.high.bytes", "65536", "ws.write.buffer.low.bytes", "16384",
                "ws.send.buffer.bytes", "65536"))) {
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                    ProducerConfig.LINGER_MS_CONFIG, 5), new ByteArraySerializer(), new ByteArraySerializer())) {
                byte[] value = "x".repeat(200).getBytes(StandardCharsets.UTF_8);
                for (int i = 0; i < perPartition; i++) {
                    for (int p = 0; p < partitions; p++) {
                        producer.send(new ProducerRecord<>(topic, p, null, value));
                    }
                }
                producer.flush();
            }
            // Every record read by the node first: the replay, not the live path, is to deliver them all.
            TestGateway.await("the node read every record", () -> TestGateway.metric(gateway,
                    "fanwire_records_consumed_total") >= (long) partitions * perPartition);
            StringBuilder resumeFrom = new StringBuilder();
            for (int p = 0; p < partitions; p++) {
                resumeFrom.append(p == 0 ? "" : ",").append("{\"partition\":").append(p).append(",\"offset\":\"-1\"}");
            }
            try (RawWebSocket slow = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 16 * 1024)) {
                slow.sendText("{\"id\":\"1\",\"subscribe\":{\"channel\":\"" + topic + "\",\"resumeFrom\":["
                        + resumeFrom + "]}}");
                long startNanos = System.nanoTime();
                Map<Integer, Long> seen = new TreeMap<>();
                int messages = 0;
                while (seen.size() < partitions && System.nanoTime() - startNanos < Duration.ofSeconds(4).toNanos()) {
                    ServerFrame frame = slow.readServerFrame();
                    assertNotNull(frame, "connection closed");
                    if (frame.hasMessage()) {
                        seen.putIfAbsent(frame.getMessage().getPartition(),
                                (System.nanoTime() - startNanos) / 1_000_000);
                        if (++messages % 20 == 0) {
                            TestGateway.pause(Duration.ofMillis(50));
                        }
                    }
                }
                assertEquals(partitions, seen.size(), "partitions seen (first after ms) in the first " + messages
                        + " messages (" + (System.nanoTime() - startNanos) / 1_000_000 + " ms): " + seen);
            }
        }
    }

    @Test
    void positionsOlderThanTheLogStartGetAGapThenWhatRemains() throws Exception {
        TestKafka.createTopic(topic, 1);
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of("history.partition.max.bytes", "0"));
             SequenceProducer producer = new SequenceProducer(topic, 1);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                     TestKafka.bootstrapServers()))) {
            producer.send(10);
            admin.deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(4)))
                    .all().get(20, java.util.concurrent.TimeUnit.SECONDS);

            try (WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
                client.resume(topic, List.of(Position.newBuilder().setPartition(0).setOffset(-1).build()));
                ServerFrame first = client.poll(WsTestClient.WAIT);
                assertTrue(first != null && first.hasGap(), "expected a gap, got " + first);
                Gap gap = first.getGap();
                assertEquals(topic, gap.getChannel());
                assertEquals(0, gap.getFromOffset());
                assertEquals(3, gap.getToOffset());
                SequenceLog log = SequenceLog.strict();
                log.gap(gap);
                receive(client, log, 6);
                assertNull(log.verdict(Map.of("k0", 10), Map.of("k0", 4L)));
            }
        }
    }

    @Test
    void badPositionsAreRefused() throws Exception {
        TestKafka.createTopic(topic, 2);
        try (Gateway gateway = TestGateway.start(List.of(topic));
             WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            assertEquals("BAD_REQUEST", refusal(client, position(2, 0)));
            assertEquals("BAD_REQUEST", refusal(client, position(0, -2)));
            assertEquals("BAD_REQUEST", refusal(client, position(1, 0), position(1, 3)));
            client.subscribeOk(topic);
            assertEquals("BAD_REQUEST", refusal(client, position(0, 0)));
            client.subscribeOk(topic);
        }
    }

    private String refusal(WsTestClient client, Position... positions) throws Exception {
        Reply reply = client.subscribe(Subscribe.newBuilder().setChannel(topic).addAllResumeFrom(List.of(positions))
                .build());
        assertTrue(reply.hasError(), reply.toString());
        return reply.getError().getCode();
    }

    private static Position position(int partition, long offset) {
        return Position.newBuilder().setPartition(partition).setOffset(offset).build();
    }

    /** Feeds {@code client}'s frames to {@code log} until it holds {@code total} messages. */
    static void receive(WsTestClient client, SequenceLog log, int total) throws InterruptedException {
        long deadline = System.nanoTime() + WsTestClient.WAIT.toNanos();
        while (log.received() < total) {
            ServerFrame frame = client.poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (frame == null) {
                throw new AssertionError("received " + log.received() + " of " + total + " messages");
            }
            if (frame.hasMessage()) {
                log.accept(frame.getMessage());
            } else if (frame.hasGap()) {
                log.gap(frame.getGap());
            }
        }
    }
}
