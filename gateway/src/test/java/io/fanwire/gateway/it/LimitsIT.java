package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Ping;
import io.fanwire.protocol.v1.Publish;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every limit of docs/security.md over real sockets: its documented answer, its metric, and others unaffected. */
class LimitsIT {

    private final String topic = "limits-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void connectionsPerAddressAndInTotal() throws Exception {
        TestKafka.createTopic(topic, 1);
        InetAddress first = InetAddress.getByName("127.0.0.1");
        InetAddress second = InetAddress.getByName("127.0.0.2");
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of(
                "ws.max.connections.per.address", "2", "ws.max.connections", "3"))) {
            List<RawWebSocket> open = new ArrayList<>();
            try {
                open.add(RawWebSocket.connect(first, gateway.port(), "fanwire.v1.json", 0));
                open.add(RawWebSocket.connect(first, gateway.port(), "fanwire.v1.json", 0));
                IOException perAddress = assertThrows(IOException.class,
                        () -> RawWebSocket.connect(first, gateway.port(), "fanwire.v1.json", 0));
                // Closed before any HTTP answer: an empty head, or a reset when the request was still unread.
                assertTrue(perAddress.getMessage().equals("upgrade refused: ")
                        || perAddress.getMessage().contains("reset"), perAddress.getMessage());
                open.add(RawWebSocket.connect(second, gateway.port(), "fanwire.v1.json", 0));
                assertThrows(IOException.class, () -> RawWebSocket.connect(second, gateway.port(), "fanwire.v1.json", 0));

                open.remove(0).close();
                TestGateway.await("a closed connection frees its place", () -> {
                    try {
                        open.add(RawWebSocket.connect(first, gateway.port(), "fanwire.v1.json", 0));
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });
            } finally {
                for (RawWebSocket ws : open) {
                    ws.close();
                }
            }
            String metrics = TestGateway.admin(gateway, "/metrics").body();
            assertTrue(value(metrics, "connections_per_address") >= 1, metrics);
            assertTrue(value(metrics, "connections") >= 1, metrics);
        }
    }

    @Test
    void slowHandshakesAndForeignOriginsAreRefused() throws Exception {
        TestKafka.createTopic(topic, 1);
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of(
                "ws.handshake.timeout.ms", "500", "ws.allowed.origins", "https://app.example.com"));
             WsTestClient bystander = WsTestClient.json(TestGateway.wsUri(gateway))) {
            bystander.subscribeOk(topic);
            try (Socket slowloris = new Socket()) {
                slowloris.setSoTimeout((int) WsTestClient.WAIT.toMillis());
                slowloris.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
                OutputStream out = slowloris.getOutputStream();
                InputStream in = slowloris.getInputStream();
                out.write("GET /ws HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                long start = System.nanoTime();
                // One header byte at a time, forever: only the handshake clock ends it.
                boolean closed = false;
                while (!closed && System.nanoTime() - start < WsTestClient.WAIT.toNanos()) {
                    try {
                        out.write('X');
                        out.flush();
                        slowloris.setSoTimeout(100);
                        closed = in.read() < 0;
                    } catch (java.net.SocketTimeoutException e) {
                        closed = false;
                    } catch (IOException e) {
                        closed = true;
                    }
                }
                assertTrue(closed, "the slow handshake was cut off");
            }
            assertEquals(403, WsTestClient.refusedUpgradeStatus(TestGateway.wsUri(gateway),
                    Map.of("Origin", "https://evil.example.com")));
            try (WsTestClient allowed = WsTestClient.connect(TestGateway.wsUri(gateway), "fanwire.v1.json",
                    Map.of("Origin", "https://APP.example.com"))) {
                allowed.subscribeOk(topic);
            }
            assertTrue(bystander.request(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance())).hasOk());
            String metrics = TestGateway.admin(gateway, "/metrics").body();
            assertEquals(1, value(metrics, "handshake_timeout"), metrics);
            assertEquals(1, value(metrics, "origin"), metrics);
        }
    }

    @Test
    void frameFloodsGetLimitExceededThenAClose() throws Exception {
        TestKafka.createTopic(topic, 1);
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of(
                "ws.client.frames.per.second", "5", "ws.client.frames.burst", "5"));
             WsTestClient bystander = WsTestClient.json(TestGateway.wsUri(gateway));
             WsTestClient flooder = WsTestClient.json(TestGateway.wsUri(gateway))) {
            for (int id = 1; id <= 10; id++) {
                flooder.send(ClientFrame.newBuilder().setId(id).setPing(Ping.getDefaultInstance()).build());
            }
            int ok = 0;
            int limited = 0;
            for (int id = 1; id <= 10; id++) {
                Reply reply = flooder.awaitReply(id);
                if (reply.hasOk()) {
                    ok++;
                } else {
                    assertEquals("LIMIT_EXCEEDED", reply.getError().getCode());
                    limited++;
                }
            }
            assertTrue(ok >= 5 && limited >= 1, "ok " + ok + ", limited " + limited);
            assertTrue(bystander.request(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance())).hasOk());

            for (int i = 0; i < 200 && !flooder.isClosed(); i++) {
                flooder.sendText("{\"ping\":{}}");
            }
            assertEquals(1008, flooder.awaitClose());
            assertEquals("rate limit exceeded", flooder.closeReason());
            assertTrue(bystander.request(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance())).hasOk());
            assertTrue(value(TestGateway.admin(gateway, "/metrics").body(), "frame_rate") >= 100);
        }
    }

    @Test
    void requestLimitsAnswerAndCount() throws Exception {
        TestKafka.createTopic(topic, 1);
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of(
                "publish.enabled", "true", "publish.max.payload.bytes", "8", "ws.max.subscriptions", "1",
                "ws.max.channel.length", "40", "ws.max.frame.bytes", "1024",
                "ws.ping.interval.ms", "200", "ws.idle.timeout.ms", "1000"));
             WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            Reply big = client.request(ClientFrame.newBuilder().setPublish(Publish.newBuilder().setChannel(topic)
                    .setPayload(com.google.protobuf.ByteString.copyFromUtf8("123456789"))));
            assertEquals("LIMIT_EXCEEDED", big.getError().getCode());
            assertTrue(client.request(ClientFrame.newBuilder().setPublish(Publish.newBuilder().setChannel(topic)
                    .setPayload(com.google.protobuf.ByteString.copyFromUtf8("12345678")))).hasOk());
            client.subscribeOk(topic);
            assertEquals("LIMIT_EXCEEDED", client.subscribe(topic + "/k").getError().getCode());
            assertEquals("BAD_REQUEST", client.subscribe("x".repeat(41)).getError().getCode());

            try (RawWebSocket tooBig = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 0);
                 RawWebSocket silent = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 0)) {
                tooBig.sendText("x".repeat(2000));
                assertEquals(1009, closeStatus(tooBig));
                assertEquals(1001, closeStatus(silent), "a client that answers no ping is idle");
            }
            String metrics = TestGateway.admin(gateway, "/metrics").body();
            assertEquals(1, value(metrics, "payload_size"), metrics);
            assertEquals(1, value(metrics, "subscriptions"), metrics);
            assertEquals(1, value(metrics, "channel_length"), metrics);
            assertEquals(1, value(metrics, "frame_size"), metrics);
            assertTrue(value(metrics, "idle_timeout") >= 1, metrics);
        }
    }

    /** The status of the Close frame that ends {@code ws}, skipping pings and other frames. */
    static int closeStatus(RawWebSocket ws) throws IOException {
        for (RawWebSocket.Frame frame; (frame = ws.readFrame()) != null; ) {
            if (frame.opcode() == 0x8) {
                return frame.closeStatus();
            }
        }
        return -1;
    }

    static long value(String metrics, String limit) {
        Matcher m = Pattern.compile("(?m)^fanwire_limit_exceeded_total\\{limit=\"" + limit + "\"} (\\d+)$")
                .matcher(metrics);
        assertTrue(m.find(), limit + " missing in\n" + metrics);
        return Long.parseLong(m.group(1));
    }
}
