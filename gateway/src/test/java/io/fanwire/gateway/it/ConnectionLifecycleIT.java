package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Keepalive pings, idle timeout, WebSocket-level protocol errors and shutdown, over real sockets. */
class ConnectionLifecycleIT {

    private static final int OPCODE_CLOSE = 0x8;
    private static final int OPCODE_PING = 0x9;

    private final String topic = "lifecycle-" + UUID.randomUUID().toString().substring(0, 8);
    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        TestKafka.createTopic(topic, 1);
        gateway = TestGateway.start(List.of(topic), Map.of("ws.ping.interval.ms", "200", "ws.idle.timeout.ms", "1000"));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void silentClientIsPingedThenClosedWithGoingAway() throws Exception {
        try (RawWebSocket silent = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 0)) {
            RawWebSocket.Frame first = silent.readFrame();
            assertNotNull(first);
            assertEquals(OPCODE_PING, first.opcode());
            RawWebSocket.Frame frame;
            do {
                frame = silent.readFrame();
                assertNotNull(frame, "closed without a close frame");
            } while (frame.opcode() == OPCODE_PING);
            assertEquals(OPCODE_CLOSE, frame.opcode());
            assertEquals(1001, frame.closeStatus());
            assertEquals("idle timeout", new String(frame.payload(), 2, frame.payload().length - 2,
                    StandardCharsets.UTF_8));
        }
    }

    @Test
    void clientThatAnswersPingsStaysConnected() throws Exception {
        try (WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            TestGateway.pause(Duration.ofMillis(2_500));
            assertFalse(client.isClosed(), "pongs count as activity");
            client.subscribeOk(topic);
        }
    }

    @Test
    void unmaskedClientFrameIsAProtocolError() throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 0)) {
            raw.sendFrame(0x1, "{\"id\":\"1\",\"ping\":{}}".getBytes(StandardCharsets.UTF_8), false);
            RawWebSocket.Frame frame = raw.readFrame();
            while (frame != null && frame.opcode() == OPCODE_PING) {
                frame = raw.readFrame();
            }
            assertNotNull(frame);
            assertEquals(OPCODE_CLOSE, frame.opcode());
            assertEquals(1002, frame.closeStatus());
        }
    }

    @Test
    void closeSendsGoingAwayToEveryClient() throws Exception {
        try (WsTestClient a = WsTestClient.json(TestGateway.wsUri(gateway));
             WsTestClient b = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            a.subscribeOk(topic);
            gateway.close();
            assertEquals(1001, a.awaitClose());
            assertEquals(1001, b.awaitClose());
            assertEquals("server shutting down", a.closeReason());
            assertTrue(gateway.metrics().connections() == 0);
        }
    }
}
