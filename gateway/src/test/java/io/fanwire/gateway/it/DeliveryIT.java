package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Message;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Records produced to a real broker reach real WebSocket clients through a real gateway: topic and key
 * subscriptions, keyless records, overlapping subscriptions, per-key order, unsubscribe.
 */
class DeliveryIT {

    private static final Duration QUIET = Duration.ofMillis(500);

    private final String topic = "delivery-" + UUID.randomUUID().toString().substring(0, 8);
    private Gateway gateway;
    private TestProducer producer;

    @BeforeEach
    void start() throws Exception {
        TestKafka.createTopic(topic, 4);
        gateway = TestGateway.start(List.of(topic));
        producer = new TestProducer();
    }

    @AfterEach
    void stop() {
        producer.close();
        gateway.close();
    }

    @Test
    void topicSubscriberGetsEveryRecordWithItsPosition() throws Exception {
        try (WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic);
            RecordMetadata sent = producer.send(topic, "AAPL", "{\"bid\":101}");

            Message message = client.awaitMessage();
            assertEquals(topic + "/AAPL", message.getChannel());
            assertEquals("AAPL", message.getKey());
            assertEquals("{\"bid\":101}", message.getPayload().toStringUtf8());
            assertEquals(sent.partition(), message.getPartition());
            assertEquals(sent.offset(), message.getOffset());
            assertEquals(sent.timestamp(), message.getTimestamp());
            assertFalse(message.getSnapshot());
        }
    }

    @Test
    void keySubscriberGetsOnlyItsKey() throws Exception {
        try (WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic + "/MSFT");
            producer.send(topic, "AAPL", "a");
            producer.send(topic, "MSFT", "m");
            producer.send(topic, null, "keyless");

            Message message = client.awaitMessage();
            assertEquals(topic + "/MSFT", message.getChannel());
            assertEquals("m", message.getPayload().toStringUtf8());
            client.assertNothingWithin(QUIET);
        }
    }

    @Test
    void keyWithSlashesIsEverythingAfterTheFirstSlash() throws Exception {
        try (WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic + "/user/42");
            producer.send(topic, "user/42", "hello");
            Message message = client.awaitMessage();
            assertEquals("user/42", message.getKey());
            assertEquals(topic + "/user/42", message.getChannel());
        }
    }

    @Test
    void keylessRecordsReachWholeTopicSubscribersOnly() throws Exception {
        try (WsTestClient whole = WsTestClient.json(TestGateway.wsUri(gateway));
             WsTestClient keyed = WsTestClient.json(TestGateway.wsUri(gateway))) {
            whole.subscribeOk(topic);
            keyed.subscribeOk(topic + "/K");
            producer.send(topic, null, "no key");

            Message message = whole.awaitMessage();
            assertEquals(topic, message.getChannel());
            assertEquals("", message.getKey());
            assertEquals("no key", message.getPayload().toStringUtf8());
            keyed.assertNothingWithin(QUIET);
        }
    }

    @Test
    void overlappingSubscriptionsDeliverEachRecordOnce() throws Exception {
        try (WsTestClient client = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic);
            client.subscribeOk(topic + "/AAPL");
            client.subscribeOk(topic + "/AAPL");
            for (int i = 0; i < 5; i++) {
                producer.send(topic, "AAPL", "v" + i);
            }
            List<Message> messages = client.awaitMessages(5);
            for (int i = 0; i < 5; i++) {
                assertEquals("v" + i, messages.get(i).getPayload().toStringUtf8());
            }
            client.assertNothingWithin(QUIET);
        }
    }

    @Test
    void perKeyOrderHoldsOverTenThousandRecords() throws Exception {
        int records = 10_000;
        List<String> keys = List.of("A", "B", "C", "D", "E", "F", "G", "H");
        try (WsTestClient client = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic);
            for (int i = 0; i < records; i++) {
                String key = keys.get(i % keys.size());
                producer.sendAsync(topic, key, Integer.toString(i / keys.size()));
            }
            producer.flush();

            Map<String, Integer> next = new HashMap<>();
            Map<Integer, Long> lastOffset = new HashMap<>();
            for (Message message : client.awaitMessages(records)) {
                int sequence = Integer.parseInt(message.getPayload().toString(StandardCharsets.UTF_8));
                int expected = next.getOrDefault(message.getKey(), 0);
                assertEquals(expected, sequence, "order of key " + message.getKey());
                next.put(message.getKey(), expected + 1);
                Long previous = lastOffset.put(message.getPartition(), message.getOffset());
                assertTrue(previous == null || message.getOffset() > previous, "offsets rise per partition");
            }
            for (String key : keys) {
                assertEquals(records / keys.size(), next.get(key));
            }
            client.assertNothingWithin(QUIET);
        }
    }

    @Test
    void unsubscribeStopsDelivery() throws Exception {
        try (WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic + "/X");
            producer.send(topic, "X", "before");
            assertEquals("before", client.awaitMessage().getPayload().toStringUtf8());

            assertTrue(client.unsubscribe(topic + "/X").hasOk());
            producer.send(topic, "X", "after");
            client.assertNothingWithin(QUIET);
            assertTrue(client.unsubscribe(topic + "/X").hasOk(), "unsubscribe is idempotent");
        }
    }
}
