package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/**
 * A compacted topic after Kafka's cleaner has removed superseded records, so that its offsets have holes:
 * resume (from memory and from Kafka, from before the first record and from inside a hole) delivers exactly
 * the records that remain, in order, with no {@code Gap}; a snapshot then live continues with no seam.
 */
class CompactedTopicIT {

    private static final int KEYS = 10;
    private static final int ROUNDS = 12;

    private final String topic = "compacted-" + UUID.randomUUID().toString().substring(0, 8);
    private final TopicPartition partition = new TopicPartition(topic, 0);

    @Test
    void resumeAndSnapshotAfterCompaction() throws Exception {
        createCompactedTopic();
        for (int round = 0; round < ROUNDS; round++) {
            for (int k = 0; k < KEYS; k++) {
                TestKafka.produce(topic, "k" + k, "k" + k + ":" + round);
            }
            // Past segment.ms: the next append rolls a new segment, and the cleaner may compact the old ones.
            TestGateway.pause(Duration.ofMillis(150));
        }
        // Half the keys move on: their older records between the others' last ones go, leaving holes inside.
        for (int round = ROUNDS; round < ROUNDS + 3; round++) {
            for (int k = 0; k < KEYS / 2; k++) {
                TestKafka.produce(topic, "k" + k, "k" + k + ":" + round);
            }
            TestGateway.pause(Duration.ofMillis(150));
        }
        TestKafka.produce(topic, "k0", "k0:" + (ROUNDS + 3));
        TreeMap<Long, String> remaining = awaitCompaction();
        long hole = innerHole(remaining);

        try (Gateway fromMemory = TestGateway.start(List.of(topic), Map.of("snapshot.topics", topic));
             Gateway fromKafka = TestGateway.start(List.of(topic), Map.of("snapshot.topics", topic,
                     "history.partition.max.bytes", "0"))) {
            for (Gateway gateway : List.of(fromMemory, fromKafka)) {
                String which = gateway == fromMemory ? "from memory" : "from Kafka";
                assertEquals(remaining, resumed(gateway, -1, remaining.size()), "resumed from -1, " + which);
                assertEquals(remaining.tailMap(hole, false), resumed(gateway, hole,
                        remaining.tailMap(hole, false).size()), "resumed from " + hole + ", " + which);
            }
            snapshotThenLive(List.of(fromMemory, fromKafka), remaining);
        }
    }

    private void createCompactedTopic() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of(
                    "cleanup.policy", "compact",
                    "segment.ms", "100",
                    "min.cleanable.dirty.ratio", "0.01",
                    "min.compaction.lag.ms", "0",
                    "delete.retention.ms", "100")))).all().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Reads the partition from Kafka until the cleaner has removed records between the ones that remain and has
     * nothing more to do (two reads a few cleaner periods apart agree); returns offset → value of the records.
     */
    private TreeMap<Long, String> awaitCompaction() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        TreeMap<Long, String> previous = null;
        while (true) {
            TreeMap<Long, String> records = readAll();
            if (innerHole(records) >= 0 && records.equals(previous)) {
                return records;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Kafka did not compact " + topic + " within 90 s: " + records);
            }
            previous = records;
            TestGateway.pause(Duration.ofMillis(3_000));
        }
    }

    private TreeMap<Long, String> readAll() {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        TreeMap<Long, String> records = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    records.put(record.offset(), new String(record.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return records;
    }

    /** An offset between the first and the last record that holds no record, or -1 when there is none. */
    private static long innerHole(TreeMap<Long, String> records) {
        long expected = -1;
        for (long offset : records.keySet()) {
            if (expected >= 0 && offset != expected) {
                return expected;
            }
            expected = offset + 1;
        }
        return -1;
    }

    /** Resumes the topic from {@code from} and returns offset → value of the {@code count} messages received. */
    private TreeMap<Long, String> resumed(Gateway gateway, long from, int count) throws Exception {
        try (WsTestClient client = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            client.resume(topic, List.of(Position.newBuilder().setPartition(0).setOffset(from).build()));
            TreeMap<Long, String> received = new TreeMap<>();
            long last = from;
            for (int i = 0; i < count; i++) {
                ServerFrame frame = client.poll(WsTestClient.WAIT);
                assertTrue(frame != null && frame.hasMessage(), "expected message " + i + " of " + count
                        + " after " + last + ", got " + frame);
                Message m = frame.getMessage();
                assertTrue(m.getOffset() > last, "offset " + m.getOffset() + " after " + last);
                last = m.getOffset();
                received.put(m.getOffset(), m.getPayload().toStringUtf8());
            }
            client.assertNothingWithin(Duration.ofMillis(300));
            return received;
        }
    }

    /**
     * Subscribes with a snapshot on each gateway and checks each key's value against {@code remaining}; then one
     * record written to Kafka reaches each client live, once.
     */
    private void snapshotThenLive(List<Gateway> gateways, TreeMap<Long, String> remaining) throws Exception {
        Map<String, String> expected = new HashMap<>();
        remaining.values().forEach(value -> expected.put(value.split(":")[0], value));
        List<WsTestClient> clients = new ArrayList<>();
        try {
            for (Gateway gateway : gateways) {
                WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway));
                clients.add(client);
                Reply reply = client.subscribe(Subscribe.newBuilder().setChannel(topic).setSnapshot(true).build());
                assertTrue(reply.hasSubscribed(), reply.toString());
                Map<String, String> last = new HashMap<>();
                for (int i = 0; i < KEYS; i++) {
                    Message m = client.awaitMessage();
                    assertTrue(m.getSnapshot(), m.toString());
                    String value = m.getPayload().toStringUtf8();
                    assertEquals(null, last.put(value.split(":")[0], value), "one snapshot value per key");
                }
                client.assertNothingWithin(Duration.ofMillis(300));
                assertEquals(expected, last, "the last value of each key");
            }
            String value = "k5:live-" + UUID.randomUUID();
            TestKafka.produce(topic, "k5", value);
            for (WsTestClient client : clients) {
                Message live = client.awaitMessage();
                assertFalse(live.getSnapshot());
                assertEquals(value, live.getPayload().toStringUtf8());
                client.assertNothingWithin(Duration.ofMillis(300));
            }
        } finally {
            clients.forEach(WsTestClient::close);
        }
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers()));
    }
}
