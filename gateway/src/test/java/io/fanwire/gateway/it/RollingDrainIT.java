package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.ResumingClient;
import io.fanwire.gateway.testing.SequenceProducer;
import io.fanwire.gateway.testing.SoakSettings;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Fault test 2: a rolling drain of both nodes under load. Clients stream from node A; A is drained
 * ({@code POST /drain}), its clients get a {@code GoAway} with their positions and move to B; a fresh node C
 * starts; B is drained and its clients move to C. Each client's verifier checks, per key, contiguous sequence
 * numbers with no loss and no duplicate (after discarding duplicates by offset), and that no client was without
 * a node for longer than the grace period.
 */
class RollingDrainIT {

    private static final String ADMIN_TOKEN = "drain-test-token";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final String topic = "drain-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void clientsMoveBetweenDrainingNodesWithoutLoss() throws Exception {
        TestKafka.createTopic(topic, 4);
        SoakSettings soak = SoakSettings.fromSystemProperties(6, 300);
        // The soak's thousand clients reconnect on a machine they share with three nodes: the production
        // default grace (10 s), rather than the short variant's 3 s.
        Duration grace = Duration.ofSeconds(soak.phase().isZero() ? 3 : 10);
        Map<String, String> settings = Map.of("admin.token", ADMIN_TOKEN,
                "drain.grace.ms", String.valueOf(grace.toMillis()), "drain.reconnect.spread.ms", "300",
                "history.partition.max.bytes", "4096", "ws.max.connections.per.address", "100000");
        Gateway a = TestGateway.start(List.of(topic), settings);
        Gateway b = TestGateway.start(List.of(topic), settings);
        Gateway c = null;
        AtomicReference<URI> current = new AtomicReference<>(TestGateway.wsUri(a));
        List<ResumingClient> clients = new ArrayList<>();
        try (SequenceProducer producer = new SequenceProducer(topic, 12)) {
            for (int i = 0; i < soak.clients(); i++) {
                clients.add(new ResumingClient("c" + i, i == 5 ? topic + "/k5" : topic, current::get, i % 2 == 0));
            }
            ResumingClient.awaitAll(clients, "every client subscribed", ResumingClient::subscribed);
            producer.start(soak.recordsPerSecond());
            ResumingClient.awaitProgress(clients, 30);
            soak.streamForAPhase();

            current.set(TestGateway.wsUri(b));
            assertEquals(202, drain(a));
            TestGateway.await("node A not ready", () -> !a.ready());
            ResumingClient.awaitAll(clients, "A's clients moved to B", cl -> cl.connections() >= 2);
            ResumingClient.awaitProgress(clients, 30);
            soak.streamForAPhase();
            a.closed().get(WsTestClient.WAIT.toSeconds() + grace.toSeconds(), TimeUnit.SECONDS);

            c = TestGateway.start(List.of(topic), settings);
            current.set(TestGateway.wsUri(c));
            assertEquals(202, drain(b));
            ResumingClient.awaitAll(clients, "B's clients moved to C", cl -> cl.connections() >= 3);
            ResumingClient.awaitProgress(clients, 30);
            soak.streamForAPhase();

            producer.stop();
            Map<String, Integer> sent = producer.sent();
            int total = sent.values().stream().mapToInt(Integer::intValue).sum();
            ResumingClient.awaitReceived(clients, i -> i == 5 ? sent.get("k5") : total);
            ResumingClient.closeAll(clients);
            for (int i = 0; i < clients.size(); i++) {
                ResumingClient client = clients.get(i);
                assertNull(client.failure());
                assertNull(client.log().verdict(i == 5 ? Map.of("k5", sent.get("k5")) : sent), "client " + i);
                assertTrue(client.goAways() >= 2, "client " + i + " got " + client.goAways() + " GoAways");
            }
            // Every client lost nothing; the figures go out before the outage bound is checked.
            soak.report("RollingDrainIT", clients, total, c);
            for (int i = 0; i < clients.size(); i++) {
                assertTrue(clients.get(i).longestOutage().compareTo(grace) < 0,
                        "client " + i + " was without a node for " + clients.get(i).longestOutageParts());
            }
        } finally {
            ResumingClient.closeAll(clients);
            a.close();
            b.close();
            if (c != null) {
                c.close();
            }
        }
    }

    private static int drain(Gateway gateway) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateway.adminPort() + "/drain"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(WsTestClient.WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }
}
