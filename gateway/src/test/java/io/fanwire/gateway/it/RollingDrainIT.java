package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.SequenceProducer;
import io.fanwire.gateway.testing.SoakSettings;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.VerifiedClient;
import io.fanwire.gateway.testing.WsTestClient;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Fault test 2: a rolling drain of both nodes under load. Clients — the product Java client, given the URLs
 * of A, B and the C to come — stream from node A; A is drained ({@code POST /drain}), its clients get a
 * {@code GoAway} with their positions and move to B; a fresh node C starts; B is drained and its clients move
 * to C. Each client's strict verifier checks, per key, contiguous sequence numbers of what the client handed to
 * the application (no loss, no duplicate), and that no client was without a node for longer than the grace
 * period.
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
        // C's port is chosen now, so that the clients know every node from the start (as behind a balancer).
        int portOfC;
        try (ServerSocket socket = new ServerSocket(0)) {
            portOfC = socket.getLocalPort();
        }
        List<URI> nodes = List.of(TestGateway.wsUri(a), TestGateway.wsUri(b),
                URI.create("ws://127.0.0.1:" + portOfC + "/ws"));
        List<VerifiedClient> clients = new ArrayList<>();
        try (SequenceProducer producer = new SequenceProducer(topic, 12)) {
            for (int i = 0; i < soak.clients(); i++) {
                clients.add(new VerifiedClient("c" + i, i == 5 ? topic + "/k5" : topic, nodes, i % 2 == 0));
            }
            VerifiedClient.awaitAll(clients, "every client subscribed", VerifiedClient::subscribed);
            producer.start(soak.recordsPerSecond());
            VerifiedClient.awaitProgress(clients, 30);
            soak.streamForAPhase();

            assertEquals(202, drain(a));
            TestGateway.await("node A not ready", () -> !a.ready());
            VerifiedClient.awaitAll(clients, "A's clients moved to B", cl -> cl.connections() >= 2);
            VerifiedClient.awaitProgress(clients, 30);
            soak.streamForAPhase();
            a.closed().get(WsTestClient.WAIT.toSeconds() + grace.toSeconds(), TimeUnit.SECONDS);

            Map<String, String> settingsOfC = new HashMap<>(settings);
            settingsOfC.put("port", String.valueOf(portOfC));
            c = TestGateway.start(List.of(topic), settingsOfC);
            assertEquals(202, drain(b));
            VerifiedClient.awaitAll(clients, "B's clients moved to C", cl -> cl.connections() >= 3);
            VerifiedClient.awaitProgress(clients, 30);
            soak.streamForAPhase();

            producer.stop();
            Map<String, Integer> sent = producer.sent();
            int total = sent.values().stream().mapToInt(Integer::intValue).sum();
            try {
                VerifiedClient.awaitReceived(clients, i -> i == 5 ? sent.get("k5") : total);
            } finally {
                VerifiedClient.closeAll(clients);
                // The figures go out before the checks.
                soak.report("RollingDrainIT", clients, sent, i -> i == 5 ? Map.of("k5", sent.get("k5")) : sent, c);
            }
            for (int i = 0; i < clients.size(); i++) {
                VerifiedClient client = clients.get(i);
                assertNull(client.failure());
                assertNull(client.log().verdict(i == 5 ? Map.of("k5", sent.get("k5")) : sent), "client " + i);
                assertEquals(0, client.log().duplicates(), "client " + i + " handed records twice");
                assertTrue(client.goAways() >= 2, "client " + i + " got " + client.goAways() + " GoAways");
            }
            for (int i = 0; i < clients.size(); i++) {
                assertTrue(clients.get(i).longestOutage().compareTo(grace) < 0,
                        "client " + i + " was without a node for " + clients.get(i).longestOutageParts());
            }
        } finally {
            VerifiedClient.closeAll(clients);
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
