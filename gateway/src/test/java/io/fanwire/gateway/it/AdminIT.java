package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.gateway.config.GatewayConfig;
import io.fanwire.protocol.v1.Reply;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The admin port: /healthz, /readyz and /metrics as the README's operations section describes them. */
class AdminIT {

    private final String topic = "admin-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void healthReadinessAndMetrics() throws Exception {
        TestKafka.createTopic(topic, 2);
        try (Gateway gateway = TestGateway.start(List.of(topic));
             TestProducer producer = new TestProducer();
             WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            assertEquals(200, TestGateway.admin(gateway, "/healthz").statusCode());
            HttpResponse<String> ready = TestGateway.admin(gateway, "/readyz");
            assertEquals(200, ready.statusCode());
            assertEquals("ready\n", ready.body());
            assertEquals(404, TestGateway.admin(gateway, "/nope").statusCode());

            client.subscribeOk(topic);
            for (int i = 0; i < 3; i++) {
                producer.send(topic, "k", "v" + i);
            }
            client.awaitMessages(3);

            // A record can reach the client through a catch-up reader before the ingest thread has read it
            // (the subscription's start may be ahead of the ingest under load): wait for the ingest's count.
            TestGateway.await("the ingest reads all three records",
                    () -> TestGateway.metric(gateway, "fanwire_records_consumed_total") == 3);
            HttpResponse<String> metrics = TestGateway.admin(gateway, "/metrics");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
            String body = metrics.body();
            assertEquals(1, value(body, "fanwire_connections"));
            assertEquals(1, value(body, "fanwire_subscriptions"));
            assertEquals(3, value(body, "fanwire_records_consumed_total"));
            assertEquals(3, value(body, "fanwire_frames_delivered_total"));
            assertTrue(value(body, "fanwire_bytes_delivered_total") > 3 * 10);
            assertTrue(body.contains("# TYPE fanwire_consumer_lag gauge"), body);
            assertTrue(body.contains("fanwire_consumer_lag{topic=\"" + topic + "\",partition=\"0\"} 0"), body);
            assertTrue(body.contains("fanwire_consumer_lag{topic=\"" + topic + "\",partition=\"1\"} 0"), body);
        }
    }

    @Test
    void notReadyUntilEveryServedTopicExists() throws Exception {
        String missing = topic + "-later";
        TestKafka.createTopic(topic, 1);
        Map<String, String> fastRefresh = Map.of("ingest.metadata.refresh.ms", "200");
        GatewayConfig config = GatewayConfig.from(
                merge(TestGateway.settings(List.of(topic, missing)), fastRefresh));
        try (Gateway gateway = Gateway.start(config)) {
            TestGateway.pause(Duration.ofSeconds(1));
            HttpResponse<String> notReady = TestGateway.admin(gateway, "/readyz");
            assertEquals(503, notReady.statusCode());
            assertEquals("not ready\n", notReady.body());

            TestKafka.createTopic(missing, 1);
            TestGateway.await("ready once the topic exists", gateway::ready);
            assertEquals(200, TestGateway.admin(gateway, "/readyz").statusCode());

            try (TestProducer producer = new TestProducer();
                 WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
                client.subscribeOk(missing);
                producer.send(missing, null, "first");
                assertEquals("first", client.awaitMessage().getPayload().toStringUtf8());
            }
        }
    }

    @Test
    void servesOnceItsOnlyTopicExists() throws Exception {
        // No served topic exists at start-up: the ingest consumer has nothing assigned, where Kafka's poll throws.
        String later = topic + "-only";
        GatewayConfig config = GatewayConfig.from(
                merge(TestGateway.settings(List.of(later)), Map.of("ingest.metadata.refresh.ms", "200")));
        try (Gateway gateway = Gateway.start(config)) {
            TestGateway.pause(Duration.ofSeconds(1));
            assertEquals(503, TestGateway.admin(gateway, "/readyz").statusCode());

            TestGateway.await("accepting clients while the topic is missing", gateway::serving);
            try (WsTestClient early = WsTestClient.json(TestGateway.wsUri(gateway))) {
                Reply refused = early.subscribe(later);
                assertEquals("UNAVAILABLE", refused.getError().getCode(),
                        "no partitions, so no positions to give: " + refused);
            }

            TestKafka.createTopic(later, 2);
            TestGateway.await("ready once the topic exists", gateway::ready);
            try (TestProducer producer = new TestProducer();
                 WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
                assertEquals(2, client.subscribe(later).getSubscribed().getPositionsCount(),
                        "a position per partition");
                producer.send(later, null, "first");
                assertEquals("first", client.awaitMessage().getPayload().toStringUtf8());
            }
        }
    }

    @Test
    void aDrainShowsInReadinessAndDrainMetrics() throws Exception {
        TestKafka.createTopic(topic, 1);
        Gateway gateway = TestGateway.start(List.of(topic));
        try (gateway; WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic);
            assertEquals(1, TestGateway.metric(gateway, "fanwire_ready"));
            assertEquals(0, TestGateway.metric(gateway, "fanwire_draining"));
            assertEquals(0, TestGateway.metric(gateway, "fanwire_drain_goaways_total"));
            // The drain, with the client still connected: it gets the GoAway.
            gateway.close();
        }
        assertEquals(0, TestGateway.metric(gateway, "fanwire_ready"));
        assertEquals(1, TestGateway.metric(gateway, "fanwire_draining"));
        assertEquals(1, TestGateway.metric(gateway, "fanwire_drain_goaways_total"));
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> merged = new HashMap<>(a);
        merged.putAll(b);
        return merged;
    }

    private static long value(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)$").matcher(metrics);
        assertTrue(m.find(), name + " missing in\n" + metrics);
        return Long.parseLong(m.group(1));
    }
}
