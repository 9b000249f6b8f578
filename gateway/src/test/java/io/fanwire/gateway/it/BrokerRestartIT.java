package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanwire.gateway.Gateway;
import io.fanwire.broker.EmbeddedKafkaBroker;
import io.fanwire.gateway.testing.SequenceProducer;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.VerifiedClient;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fault test 3: the broker is stopped and restarted (same port, same data) under load. The gateway recovers
 * without a restart, {@code /readyz} says 503 during the outage and 200 after it, and clients (the product Java client) lose nothing.
 * Runs its own broker, since it stops it.
 */
class BrokerRestartIT {

    private static final String TOPIC = "restart";

    @Test
    void gatewaySurvivesABrokerRestartAndClientsLoseNothing() throws Exception {
        Path workDir = Files.createTempDirectory("fanwire-restart-");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        EmbeddedKafkaBroker.Options options = EmbeddedKafkaBroker.Options.defaults().withPort(port).withWorkDir(workDir);
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(options);
        List<VerifiedClient> clients = new ArrayList<>();
        try {
            broker.createTopic(TOPIC, 3);
            try (Gateway gateway = TestGateway.start(List.of(TOPIC), Map.of(
                         "kafka.bootstrap.servers", broker.bootstrapServers(), "ingest.metadata.refresh.ms", "1000",
                         "kafka.reconnect.backoff.max.ms", "500"));
                 SequenceProducer producer = new SequenceProducer(broker.bootstrapServers(), TOPIC, 9)) {
                URI uri = TestGateway.wsUri(gateway);
                for (int i = 0; i < 4; i++) {
                    clients.add(new VerifiedClient("r" + i, i == 3 ? TOPIC + "/k2" : TOPIC, List.of(uri), i % 2 == 0));
                }
                VerifiedClient.awaitAll(clients, "every client subscribed", VerifiedClient::subscribed);
                producer.start(200);
                VerifiedClient.awaitProgress(clients, 10);

                broker.close();
                TestGateway.await("/readyz says not ready", () -> readyz(gateway) == 503);
                broker = EmbeddedKafkaBroker.start(options);
                TestGateway.await("/readyz says ready again", () -> readyz(gateway) == 200);
                VerifiedClient.awaitProgress(clients, 10);

                producer.stop();
                VerifiedClient.assertEveryRecordOnce(clients, producer.sent());
                assertEquals(200, readyz(gateway));
            }
        } finally {
            VerifiedClient.closeAll(clients);
            broker.close();
            deleteTree(workDir);
        }
    }

    private static int readyz(Gateway gateway) {
        try {
            return TestGateway.admin(gateway, "/readyz").statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void deleteTree(Path dir) throws Exception {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
