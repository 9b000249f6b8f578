package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.GatewayProcess;
import io.fanwire.gateway.testing.SequenceProducer;
import io.fanwire.gateway.testing.SoakSettings;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.VerifiedClient;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Fault test 1: two gateway nodes on one broker. Clients — the product Java client, given both nodes' URLs —
 * stream from node A, the packaged gateway in a child process, while a producer writes; A is killed with SIGKILL
 * (no GoAway, no close); the clients reconnect to node B with the positions they hold and resume. Each client's
 * strict verifier checks, per key, contiguous sequence numbers of what the client handed to the application:
 * zero loss, no duplicate, order per key.
 */
class NodeKillIT {

    private final String topic = "kill-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void clientsOfAKilledNodeResumeOnAnotherWithoutLoss() throws Exception {
        TestKafka.createTopic(topic, 4);
        SoakSettings soak = SoakSettings.fromSystemProperties(6, 300);
        List<VerifiedClient> clients = new ArrayList<>();
        try (GatewayProcess a = GatewayProcess.start(TestKafka.bootstrapServers(), topic,
                     "--auth-anonymous", "true", "--ws-max-connections-per-address", "100000");
             // Every client comes from 127.0.0.1: soak runs pass the per-address default of 1,000.
             Gateway b = TestGateway.start(List.of(topic), Map.of("history.partition.max.bytes", "2048",
                     "ws.max.connections.per.address", "100000"));
             SequenceProducer producer = new SequenceProducer(topic, 12)) {
            a.awaitReady();
            // A first: each client starts at its first URL and moves to the next when a connection ends.
            List<URI> nodes = List.of(a.wsUri(), TestGateway.wsUri(b));
            for (int i = 0; i < soak.clients(); i++) {
                clients.add(new VerifiedClient("k" + i, i == 5 ? topic + "/k7" : topic, nodes, i % 2 == 1));
            }
            VerifiedClient.awaitAll(clients, "every client subscribed on A", VerifiedClient::subscribed);
            producer.start(soak.recordsPerSecond());
            try {
                VerifiedClient.awaitProgress(clients, 20);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; node A said:\n" + a.output() + "\n" + a.metrics(), e);
            }
            soak.streamForAPhase();

            a.kill();
            VerifiedClient.awaitAll(clients, "clients reconnected to B", c -> c.connections() >= 2 && c.subscribed());
            VerifiedClient.awaitProgress(clients, 20);
            soak.streamForAPhase();

            producer.stop();
            Map<String, Integer> sent = producer.sent();
            int total = sent.values().stream().mapToInt(Integer::intValue).sum();
            try {
                VerifiedClient.awaitReceived(clients, i -> i == 5 ? sent.get("k7") : total);
            } finally {
                VerifiedClient.closeAll(clients);
                soak.report("NodeKillIT", clients, sent, i -> i == 5 ? Map.of("k7", sent.get("k7")) : sent, b);
            }
            for (int i = 0; i < clients.size(); i++) {
                VerifiedClient client = clients.get(i);
                assertNull(client.failure());
                assertNull(client.log().verdict(i == 5 ? Map.of("k7", sent.get("k7")) : sent), "client " + i);
                assertEquals(0, client.log().duplicates(), "client " + i + " handed records twice");
                assertTrue(client.log().gaps().isEmpty(), "client " + i + ": " + client.log().gaps());
            }
        } finally {
            VerifiedClient.closeAll(clients);
        }
    }
}
