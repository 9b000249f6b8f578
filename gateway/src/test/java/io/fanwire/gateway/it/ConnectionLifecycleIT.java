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
import io.fanwire.protocol.v1.ServerFrame;
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
    private static final int OPCODE_PONG = 0xA;
    private static final int OPCODE_TEXT = 0x1;

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

    /** RFC 6455 says to wait for the 101, but some clients and proxies send their first frame with the upgrade. */
    @Test
    void subscribeSentWithTheUpgradeIsAnswered() throws Exception {
        try (RawWebSocket eager = RawWebSocket.connectSendingText(gateway.port(), "fanwire.v1.json",
                "{\"id\":\"7\",\"subscribe\":{\"channel\":\"" + topic + "\"}}")) {
            ServerFrame reply = eager.readServerFrame();
            assertNotNull(reply, "no reply to the Subscribe sent with the upgrade; close status " + eager.closeStatus());
            assertTrue(reply.hasReply() && reply.getReply().getId() == 7 && reply.getReply().hasSubscribed(),
                    reply.toString());
            TestKafka.produce(topic, "k", "after");
            ServerFrame message = eager.readServerFrame();
            assertNotNull(message);
            assertEquals("after", message.getMessage().getPayload().toStringUtf8());
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
    void closeDrainsEveryClientWithAGoAwayThenGoingAway() throws Exception {
        try (WsTestClient a = WsTestClient.json(TestGateway.wsUri(gateway));
             WsTestClient b = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            a.subscribeOk(topic);
            gateway.close();
            ServerFrame goAway = a.poll(WsTestClient.WAIT);
            assertTrue(goAway != null && goAway.hasGoAway(), "expected a GoAway, got " + goAway);
            assertEquals("draining", goAway.getGoAway().getReason());
            assertEquals(topic, goAway.getGoAway().getChannels(0).getChannel());
            assertEquals(1001, a.awaitClose());
            assertEquals(1001, b.awaitClose());
            assertEquals("draining", a.closeReason());
            assertTrue(gateway.metrics().connections() == 0);
        }
    }

    @Test
    void fragmentedMessageIsJoinedAndControlFramesBetweenItsFragmentsAreAnswered() throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 0)) {
            raw.sendFragment(0x1, utf8("{\"id\":\"7\","), false);
            raw.sendFrame(OPCODE_PING, utf8("between"));
            raw.sendFragment(0x0, utf8("\"ping\""), false);
            raw.sendFragment(0x0, utf8(":{}}"), true);
            RawWebSocket.Frame pong = nextNonPing(raw);
            assertEquals(OPCODE_PONG, pong.opcode());
            assertEquals("between", new String(pong.payload(), StandardCharsets.UTF_8));
            RawWebSocket.Frame reply = nextNonPing(raw);
            assertEquals(OPCODE_TEXT, reply.opcode());
            assertEquals("{\"reply\":{\"id\":\"7\",\"ok\":{}}}", new String(reply.payload(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void continuationWithNoMessageToContinueIsAProtocolError() throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 0)) {
            raw.sendFragment(0x0, utf8("{}"), true);
            RawWebSocket.Frame frame = nextNonPing(raw);
            assertEquals(OPCODE_CLOSE, frame.opcode());
            assertEquals(1002, frame.closeStatus());
        }
    }

    @Test
    void newMessageBeforeTheFragmentedOneEndedIsAProtocolError() throws Exception {
        try (RawWebSocket raw = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 0)) {
            raw.sendFragment(0x1, utf8("{\"id\":"), false);
            raw.sendFrame(0x1, utf8("{\"id\":\"1\",\"ping\":{}}"));
            RawWebSocket.Frame frame = nextNonPing(raw);
            assertEquals(OPCODE_CLOSE, frame.opcode());
            assertEquals(1002, frame.closeStatus());
        }
    }

    @Test
    void fragmentsAddingUpPastTheLimitClose1009() throws Exception {
        int maxFrameBytes = gateway.config().maxFrameBytes();
        try (RawWebSocket raw = RawWebSocket.connect(gateway.port(), "fanwire.v1.proto", 0)) {
            raw.sendFragment(0x2, new byte[maxFrameBytes / 2 + 1], false);
            raw.sendFragment(0x0, new byte[maxFrameBytes / 2 + 1], true);
            RawWebSocket.Frame frame = nextNonPing(raw);
            assertEquals(OPCODE_CLOSE, frame.opcode());
            assertEquals(1009, frame.closeStatus());
        }
    }

    private static RawWebSocket.Frame nextNonPing(RawWebSocket raw) throws Exception {
        RawWebSocket.Frame frame;
        do {
            frame = raw.readFrame();
            assertNotNull(frame, "the connection ended without a frame");
        } while (frame.opcode() == OPCODE_PING);
        return frame;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
