package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code Subscribe.max_rate}: at most that many updates per second per key, each the latest value. */
class MaxRateIT {

    private static final int BURST = 200;

    private final String topic = "rate-" + UUID.randomUUID().toString().substring(0, 8);
    private Gateway gateway;
    private TestProducer producer;

    @BeforeEach
    void start() throws Exception {
        TestKafka.createTopic(topic, 2);
        gateway = TestGateway.start(List.of(topic));
        producer = new TestProducer();
    }

    @AfterEach
    void stop() {
        producer.close();
        gateway.close();
    }

    @Test
    void aBurstArrivesThinnedToTheRateAndEndsWithTheLatestValue() throws Exception {
        try (WsTestClient limited = WsTestClient.proto(TestGateway.wsUri(gateway));
             WsTestClient everything = WsTestClient.json(TestGateway.wsUri(gateway))) {
            assertTrue(subscribe(limited, topic + "/K", 2).hasSubscribed());
            everything.subscribeOk(topic + "/K");

            long started = System.nanoTime();
            for (int seq = 0; seq < BURST; seq++) {
                producer.sendAsync(topic, "K", Integer.toString(seq));
            }
            producer.flush();
            assertEquals(BURST, everything.awaitMessages(BURST).size(), "the unlimited subscriber gets all");

            List<Integer> seqs = new ArrayList<>();
            while (seqs.isEmpty() || seqs.get(seqs.size() - 1) < BURST - 1) {
                seqs.add(Integer.parseInt(limited.awaitMessage().getPayload().toStringUtf8()));
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            limited.assertNothingWithin(Duration.ofMillis(1_200));
            for (int i = 1; i < seqs.size(); i++) {
                assertTrue(seqs.get(i) > seqs.get(i - 1), "older after newer: " + seqs);
            }
            // 2 per second: one at once, then one per half second for as long as the burst took to arrive.
            assertTrue(seqs.size() <= 2 + 2 * Math.ceil(seconds), seqs.size() + " updates in " + seconds + " s");
            assertTrue(seqs.size() < BURST / 4, "not thinned: " + seqs.size());
            assertTrue(TestGateway.metric(gateway, "fanwire_slow_consumer_held_bytes") == 0, "nothing left held");
        }
    }

    @Test
    void anUnlimitedSubscriptionToTheTopicWins() throws Exception {
        try (WsTestClient client = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            assertTrue(subscribe(client, topic + "/K", 1).hasSubscribed());
            assertTrue(subscribe(client, topic, 0).hasSubscribed());
            for (int seq = 0; seq < 20; seq++) {
                producer.sendAsync(topic, "K", Integer.toString(seq));
            }
            producer.flush();
            List<Message> messages = client.awaitMessages(20);
            assertEquals("19", messages.get(19).getPayload().toStringUtf8());
        }
    }

    @Test
    void unsubscribingDropsWhatTheLimitHeld() throws Exception {
        try (WsTestClient client = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            assertTrue(subscribe(client, topic + "/K", 0.1).hasSubscribed());
            producer.send(topic, "K", "first");
            assertEquals("first", client.awaitMessage().getPayload().toStringUtf8());
            producer.send(topic, "K", "held");
            TestGateway.await("second record held",
                    () -> TestGateway.metric(gateway, "fanwire_slow_consumer_held_bytes") > 0);
            assertTrue(client.unsubscribe(topic + "/K").hasOk());
            assertEquals(0, TestGateway.metric(gateway, "fanwire_slow_consumer_held_bytes"));
            client.assertNothingWithin(Duration.ofMillis(500));
        }
    }

    @Test
    void aDrainSendsWhatTheLimitHeldBeforeItsGoAway() throws Exception {
        try (WsTestClient client = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            assertTrue(subscribe(client, topic + "/K", 0.1).hasSubscribed());
            producer.send(topic, "K", "first");
            Message first = client.awaitMessage();
            assertEquals("first", first.getPayload().toStringUtf8());
            producer.send(topic, "K", "held");
            TestGateway.await("second record held",
                    () -> TestGateway.metric(gateway, "fanwire_slow_consumer_held_bytes") > 0);

            gateway.drainInBackground();
            ServerFrame next = client.poll(WsTestClient.WAIT);
            assertTrue(next != null && next.hasMessage(), "the held record comes before the GoAway: " + next);
            assertEquals("held", next.getMessage().getPayload().toStringUtf8());
            ServerFrame goAway = client.poll(WsTestClient.WAIT);
            assertTrue(goAway != null && goAway.hasGoAway(), "then the GoAway: " + goAway);
            long position = goAway.getGoAway().getChannels(0).getPositionsList().stream()
                    .filter(p -> p.getPartition() == next.getMessage().getPartition())
                    .mapToLong(Position::getOffset).findFirst().orElseThrow();
            assertEquals(next.getMessage().getOffset(), position, "the GoAway's position covers it");
        }
    }

    @Test
    void badRatesAreRefused() throws Exception {
        try (WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            client.sendText("{\"id\":\"1\",\"subscribe\":{\"channel\":\"" + topic + "\",\"maxRate\":-1}}");
            Reply negative = client.awaitReply(1);
            assertEquals("BAD_REQUEST", negative.getError().getCode());
            client.sendText("{\"id\":\"2\",\"subscribe\":{\"channel\":\"" + topic + "\",\"maxRate\":\"NaN\"}}");
            assertEquals("BAD_REQUEST", client.awaitReply(2).getError().getCode());
            client.sendText("{\"id\":\"3\",\"subscribe\":{\"channel\":\"" + topic + "\",\"maxRate\":0.001}}");
            assertEquals("BAD_REQUEST", client.awaitReply(3).getError().getCode());
            client.sendText("{\"id\":\"4\",\"subscribe\":{\"channel\":\"" + topic + "\",\"maxRate\":2.5}}");
            assertTrue(client.awaitReply(4).hasSubscribed());
        }
    }

    private static Reply subscribe(WsTestClient client, String channel, double maxRate) throws Exception {
        long id = System.nanoTime() & 0xFFFFFFFL;
        client.send(ClientFrame.newBuilder().setId(id)
                .setSubscribe(Subscribe.newBuilder().setChannel(channel).setMaxRate(maxRate)).build());
        return client.awaitReply(id);
    }
}
