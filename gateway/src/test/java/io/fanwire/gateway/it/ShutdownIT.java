package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.testing.GatewayProcess;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.GoAway;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The packaged gateway as an operator runs it: {@code java -jar gateway/target/fanwire.jar}. On SIGTERM it
 * drains: each client gets a {@code GoAway} with its resume positions, then close 1001 after the grace period,
 * and the process exits 0.
 */
class ShutdownIT {

    @Test
    void sigtermDrainsClientsWithGoAwayThenExitsZero() throws Exception {
        String topic = "shutdown-" + UUID.randomUUID().toString().substring(0, 8);
        TestKafka.createTopic(topic, 2);
        try (GatewayProcess gateway = GatewayProcess.start(TestKafka.bootstrapServers(), topic,
                "--auth-anonymous", "true", "--drain-grace-ms", "1000", "--drain-reconnect-spread-ms", "500")) {
            gateway.awaitReady();
            try (WsTestClient client = WsTestClient.json(gateway.wsUri())) {
                Reply subscribed = client.subscribe(topic);
                assertTrue(subscribed.hasSubscribed(), subscribed.toString());
                long started = System.nanoTime();
                gateway.terminate();

                ServerFrame frame = client.poll(WsTestClient.WAIT);
                assertTrue(frame != null && frame.hasGoAway(), "expected a GoAway, got " + frame);
                GoAway goAway = frame.getGoAway();
                assertEquals("draining", goAway.getReason());
                assertEquals(500, goAway.getReconnectWithinMs());
                assertEquals(1000, goAway.getCloseInMs());
                assertEquals(1, goAway.getChannelsCount());
                assertEquals(topic, goAway.getChannels(0).getChannel());
                // Nothing was produced: the client stands where live delivery started.
                assertEquals(subscribed.getSubscribed().getPositionsList(), goAway.getChannels(0).getPositionsList());
                assertEquals(goAway.getChannels(0).getPositionsList(), goAway.getResumeFromList());
                for (Position position : goAway.getResumeFromList()) {
                    assertEquals(-1, position.getOffset());
                }

                assertEquals(1001, client.awaitClose());
                assertTrue(Duration.ofNanos(System.nanoTime() - started).toMillis() >= 900,
                        "closed before the grace period");
            }
            assertEquals(0, gateway.awaitExit(30), gateway::output);
            assertTrue(gateway.output().contains("stopped"), gateway::output);
        }
    }
}
