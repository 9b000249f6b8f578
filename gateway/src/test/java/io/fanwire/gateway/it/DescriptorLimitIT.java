package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fanwire.broker.EmbeddedKafkaBroker;
import io.fanwire.gateway.testing.GatewayProcess;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.SequenceProducer;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.VerifiedClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A node whose process may open few file descriptors ({@code prlimit --nofile}, as a systemd {@code LimitNOFILE}
 * or a container's ulimit would set) and more clients than that allows. The node caps its connections at the
 * limit minus {@code ws.descriptor.reserve}: every client over the cap is closed at once (not left in the kernel's
 * backlog with no answer) and counted, the clients it holds keep receiving, and the reserve is still there for
 * Kafka's new connections when a broker restarts meanwhile.
 */
class DescriptorLimitIT {

    private static final String TOPIC = "fdlimit";
    private static final int DESCRIPTOR_LIMIT = 1000;
    private static final int RESERVE = 600;
    private static final int CAPACITY = DESCRIPTOR_LIMIT - RESERVE;
    private static final int EXCESS = 100;
    /** An excess client must hear "no" at once: well under the handshake timeout, nowhere near a hang. */
    private static final long REFUSAL_BOUND_MS = 3_000;

    @Test
    void excessClientsAreRefusedAtOnceAndABrokerRestartIsSurvivedAtTheCap() throws Exception {
        Path workDir = Files.createTempDirectory("fanwire-fdlimit-");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        EmbeddedKafkaBroker.Options options = EmbeddedKafkaBroker.Options.defaults().withPort(port).withWorkDir(workDir);
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(options);
        List<VerifiedClient> clients = new ArrayList<>();
        List<RawWebSocket> fillers = new ArrayList<>();
        try {
            broker.createTopic(TOPIC, 3);
            try (GatewayProcess node = GatewayProcess.startUnder(
                         List.of("prlimit", "--nofile=" + DESCRIPTOR_LIMIT + ":" + DESCRIPTOR_LIMIT, "--"), List.of(),
                         broker.bootstrapServers(), TOPIC,
                         "--auth-anonymous", "true", "--ws-descriptor-reserve", String.valueOf(RESERVE), "--ws-idle-timeout-ms", "600000",
                         "--ingest-metadata-refresh-ms", "1000", "--kafka.reconnect.backoff.max.ms", "500");
                 SequenceProducer producer = new SequenceProducer(broker.bootstrapServers(), TOPIC, 9)) {
                node.awaitReady();
                assertEquals(CAPACITY, node.metric("fanwire_connection_capacity"), node.output());
                assertTrue(node.output().contains("holding at most " + CAPACITY + " client connections"),
                        "the start-up warning names the cap:\n" + node.output());

                for (int i = 0; i < 4; i++) {
                    clients.add(new VerifiedClient("fd" + i, i == 3 ? TOPIC + "/k2" : TOPIC, List.of(node.wsUri()),
                            i % 2 == 0));
                }
                VerifiedClient.awaitAll(clients, "every client subscribed", VerifiedClient::subscribed);
                producer.start(200);
                VerifiedClient.awaitProgress(clients, 10);

                while (clients.size() + fillers.size() < CAPACITY) {
                    fillers.add(RawWebSocket.connect(node.wsUri().getPort(), "fanwire.v1.json", 0));
                }
                TestGateway.await("the node holds " + CAPACITY + " connections",
                        () -> metricOrZero(node, "fanwire_connections") == CAPACITY);

                long slowest = 0;
                for (int i = 0; i < EXCESS; i++) {
                    long start = System.nanoTime();
                    try (RawWebSocket excess = RawWebSocket.connect(node.wsUri().getPort(), "fanwire.v1.json", 0)) {
                        fail("connection " + (CAPACITY + i + 1) + " over the cap of " + CAPACITY + " was upgraded");
                    } catch (IOException refused) {
                        slowest = Math.max(slowest, (System.nanoTime() - start) / 1_000_000);
                    }
                }
                System.out.println("FDLIMIT capacity=" + CAPACITY + " refused=" + EXCESS + " slowestRefusalMs=" + slowest);
                assertTrue(slowest < REFUSAL_BOUND_MS, "the slowest refusal took " + slowest + " ms");
                assertTrue(node.metric("fanwire_limit_exceeded_total{limit=\"connections\"}") >= EXCESS,
                        node.metrics());
                assertEquals(0, node.metric("fanwire_accept_errors_total"), "no accept ran out of descriptors");

                broker.close();
                TestGateway.await("/readyz says not ready", () -> readyz(node) == 503);
                broker = EmbeddedKafkaBroker.start(options);
                TestGateway.await("/readyz says ready again", () -> readyz(node) == 200);
                VerifiedClient.awaitProgress(clients, 10);

                producer.stop();
                VerifiedClient.assertEveryRecordOnce(clients, producer.sent());
                assertEquals(0, node.metric("fanwire_accept_errors_total"), "no accept ran out of descriptors");

                for (RawWebSocket filler : fillers) {
                    filler.close();
                }
                fillers.clear();
                TestGateway.await("the fillers' connections are gone",
                        () -> metricOrZero(node, "fanwire_connections") == 0);
                try (RawWebSocket again = RawWebSocket.connect(node.wsUri().getPort(), "fanwire.v1.json", 0)) {
                    again.sendText("{\"id\":\"1\",\"subscribe\":{\"channel\":\"" + TOPIC + "\"}}");
                    assertTrue(again.readServerFrame().hasReply(), "below the cap again, a client is served");
                }
            }
        } finally {
            for (RawWebSocket filler : fillers) {
                filler.close();
            }
            VerifiedClient.closeAll(clients);
            broker.close();
            try (var paths = Files.walk(workDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static long metricOrZero(GatewayProcess node, String name) {
        try {
            return node.metric(name);
        } catch (Exception e) {
            return -1;
        }
    }

    private static int readyz(GatewayProcess node) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(node.adminUri("/readyz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
