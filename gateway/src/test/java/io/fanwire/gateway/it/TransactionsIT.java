package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.SequenceLog;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Records of Kafka transactions: clients get the committed ones only, live and when they resume, in order,
 * and resume across the commit and abort markers (offsets that hold no record) without a {@code Gap}.
 */
class TransactionsIT {

    private static final int TRANSACTIONS = 9;
    private static final int RECORDS_PER_TRANSACTION = 20;
    private static final int KEYS = 4;

    private final String topic = "txn-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void committedRecordsOnlyFromMemory() throws Exception {
        committedRecordsOnly(Map.of());
    }

    @Test
    void committedRecordsOnlyFromKafka() throws Exception {
        committedRecordsOnly(Map.of("history.partition.max.bytes", "0"));
    }

    /**
     * Nine transactions of 20 records, every third aborted, then one left open for a second: a live client and two
     * resuming ones (from before the first transaction, and from right before the first commit marker) get
     * exactly the committed records, and nothing of the last transaction before it commits.
     */
    private void committedRecordsOnly(Map<String, String> settings) throws Exception {
        TestKafka.createTopic(topic, 2);
        Map<String, Integer> committed = new HashMap<>();
        try (Gateway gateway = TestGateway.start(List.of(topic), settings);
             KafkaProducer<byte[], byte[]> producer = transactionalProducer();
             WsTestClient live = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            List<Position> start = live.subscribe(Subscribe.newBuilder().setChannel(topic).build())
                    .getSubscribed().getPositionsList();
            producer.initTransactions();
            SequenceLog liveLog = SequenceLog.strict();
            liveLog.adopt(start);
            List<Position> afterFirst = null;
            for (int t = 0; t < TRANSACTIONS; t++) {
                boolean abort = t % 3 == 2;
                producer.beginTransaction();
                for (int i = 0; i < RECORDS_PER_TRANSACTION; i++) {
                    String key = "k" + (i % KEYS);
                    producer.send(record(key, abort ? key + ":aborted" : key + ":" + next(committed, key)));
                }
                if (abort) {
                    // Written first: the log then holds the aborted records for the node to skip, and no send is
                    // in flight at the abort (one was refused with InvalidTxnStateException, 1 run in many).
                    producer.flush();
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                }
                if (t == 0) {
                    receive(live, liveLog, RECORDS_PER_TRANSACTION);
                    afterFirst = liveLog.positions();
                }
            }
            int total = total(committed);
            receive(live, liveLog, total);

            producer.beginTransaction();
            for (int i = 0; i < KEYS; i++) {
                String key = "k" + i;
                producer.send(record(key, key + ":" + next(committed, key)));
            }
            producer.flush();
            live.assertNothingWithin(Duration.ofMillis(1_000));
            producer.commitTransaction();
            total = total(committed);
            receive(live, liveLog, total);
            assertNull(liveLog.verdict(committed), "live client");
            assertTrue(liveLog.gaps().isEmpty(), "live client got gaps " + liveLog.gaps());

            try (WsTestClient resumed = WsTestClient.json(TestGateway.wsUri(gateway))) {
                resumed.resume(topic, start);
                SequenceLog log = SequenceLog.strict();
                receive(resumed, log, total);
                assertNull(log.verdict(committed), "client resumed from the start");
                assertTrue(log.gaps().isEmpty(), "client resumed from the start got gaps " + log.gaps());
                resumed.assertNothingWithin(Duration.ofMillis(300));
            }
            try (WsTestClient resumed = WsTestClient.proto(TestGateway.wsUri(gateway))) {
                resumed.resume(topic, afterFirst);
                SequenceLog log = SequenceLog.strict();
                receive(resumed, log, total - RECORDS_PER_TRANSACTION);
                Map<String, Long> firstSeq = new HashMap<>();
                for (int i = 0; i < KEYS; i++) {
                    firstSeq.put("k" + i, (long) RECORDS_PER_TRANSACTION / KEYS);
                }
                assertNull(log.verdict(committed, firstSeq), "client resumed after the first transaction");
                assertTrue(log.gaps().isEmpty(), "client resumed after the first transaction got gaps " + log.gaps());
                resumed.assertNothingWithin(Duration.ofMillis(300));
            }
        }
    }

    /**
     * A node drains while the client's last records are followed by commit and abort markers: the client resumes
     * on another node from its {@code GoAway} positions and gets exactly the committed records after them.
     */
    @Test
    void goAwayPositionsResumeAcrossMarkersOnAnotherNode() throws Exception {
        TestKafka.createTopic(topic, 2);
        Map<String, Integer> committed = new HashMap<>();
        try (Gateway other = TestGateway.start(List.of(topic));
             KafkaProducer<byte[], byte[]> producer = transactionalProducer()) {
            producer.initTransactions();
            SequenceLog log = SequenceLog.strict();
            List<Position> goAwayPositions;
            try (Gateway draining = TestGateway.start(List.of(topic));
                 WsTestClient client = WsTestClient.proto(TestGateway.wsUri(draining))) {
                log.adopt(client.subscribe(Subscribe.newBuilder().setChannel(topic).build())
                        .getSubscribed().getPositionsList());
                transactions(producer, committed, 3);
                receive(client, log, total(committed));
                draining.close();
                ServerFrame goAway = client.poll(WsTestClient.WAIT);
                assertTrue(goAway != null && goAway.hasGoAway(), "expected a GoAway, got " + goAway);
                goAwayPositions = goAway.getGoAway().getChannels(0).getPositionsList();
                assertEquals(log.positions(), goAwayPositions, "the GoAway positions are the last records seen");
            }
            transactions(producer, committed, 3);
            try (WsTestClient resumed = WsTestClient.json(TestGateway.wsUri(other))) {
                resumed.resume(topic, goAwayPositions);
                receive(resumed, log, total(committed));
                assertNull(log.verdict(committed));
                assertTrue(log.gaps().isEmpty(), "gaps " + log.gaps());
                resumed.assertNothingWithin(Duration.ofMillis(300));
            }
        }
    }

    /** {@code count} transactions of {@value #RECORDS_PER_TRANSACTION} records, the second of every three aborted. */
    private void transactions(KafkaProducer<byte[], byte[]> producer, Map<String, Integer> committed, int count) {
        for (int t = 0; t < count; t++) {
            boolean abort = t % 3 == 1;
            producer.beginTransaction();
            for (int i = 0; i < RECORDS_PER_TRANSACTION; i++) {
                String key = "k" + (i % KEYS);
                producer.send(record(key, abort ? key + ":aborted" : key + ":" + next(committed, key)));
            }
            if (abort) {
                producer.flush(); // as above
                producer.abortTransaction();
            } else {
                producer.commitTransaction();
            }
        }
    }

    private KafkaProducer<byte[], byte[]> transactionalProducer() {
        Properties p = new Properties();
        p.setProperty(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        p.setProperty(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-producer");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private ProducerRecord<byte[], byte[]> record(String key, String value) {
        return new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    /** The next sequence number of {@code key}, counted in {@code committed}. */
    private static int next(Map<String, Integer> committed, String key) {
        return committed.merge(key, 1, Integer::sum) - 1;
    }

    private static int total(Map<String, Integer> perKey) {
        return perKey.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** {@link ResumeIT#receive}, failing at once on a record of an aborted or still open transaction. */
    private static void receive(WsTestClient client, SequenceLog log, int total) throws InterruptedException {
        long deadline = System.nanoTime() + WsTestClient.WAIT.toNanos();
        while (log.received() < total) {
            ServerFrame frame = client.poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (frame == null) {
                throw new AssertionError("received " + log.received() + " of " + total + " messages");
            }
            if (frame.hasMessage()) {
                String payload = frame.getMessage().getPayload().toStringUtf8();
                assertTrue(payload.matches("k\\d+:\\d+"), "a record of an uncommitted transaction was delivered: "
                        + payload + " at " + frame.getMessage().getPartition() + "@" + frame.getMessage().getOffset());
                log.accept(frame.getMessage());
            } else if (frame.hasGap()) {
                log.gap(frame.getGap());
            }
        }
        assertEquals(total, log.received());
    }
}
