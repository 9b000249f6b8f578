package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.PlainJWT;
import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.TestTokens;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Ping;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile input over real sockets against a production-mode gateway (tokens required). For each kind of
 * input: the documented answer (protocol/PROTOCOL.md, docs/security.md), a bystander client that keeps
 * receiving records and answers, no leaked buffer (the leak detector runs at paranoid level for every test
 * class) and memory that does not grow with the attack.
 */
class HostileInputIT {

    private static final String TOPIC = "hostile-" + UUID.randomUUID().toString().substring(0, 8);
    private static Gateway gateway;
    private static TestProducer producer;
    private static WsTestClient bystander;
    private static final AtomicInteger records = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        TestKafka.createTopic(TOPIC, 1);
        gateway = TestGateway.start(List.of(TOPIC), Map.of("auth.anonymous", "false",
                "auth.hs256.secret", TestTokens.SECRET, "ws.handshake.timeout.ms", "1000",
                "ws.max.frame.bytes", "65536"));
        producer = new TestProducer();
        bystander = WsTestClient.withToken(TestGateway.wsUri(gateway), TestTokens.hs256("bystander"));
        bystander.subscribeOk(TOPIC);
    }

    @AfterAll
    static void stop() {
        bystander.close();
        producer.close();
        gateway.close();
    }

    /** After every attack: the bystander still gets records and answers, and nothing else is open. */
    @AfterEach
    void othersAreUnaffected() throws Exception {
        String value = "record-" + records.incrementAndGet();
        producer.send(TOPIC, "k", value);
        assertEquals(value, bystander.awaitMessage().getPayload().toStringUtf8());
        assertTrue(bystander.request(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance())).hasOk());
        TestGateway.await("only the bystander is connected", () -> gateway.metrics().connections() == 1);
    }

    private static RawWebSocket connect(String subprotocol) throws IOException {
        return RawWebSocket.connect(null, gateway.port(), subprotocol, 0, TestTokens.hs256("attacker"));
    }

    private static void assertBadRequest(RawWebSocket ws) throws IOException {
        ServerFrame frame = ws.readServerFrame();
        assertNotNull(frame, "connection closed, status " + ws.closeStatus());
        assertEquals("BAD_REQUEST", frame.getReply().getError().getCode(), frame.toString());
    }

    private static void assertPingAnswered(RawWebSocket ws, boolean binary) throws IOException {
        if (binary) {
            ws.sendFrame(0x2, ClientFrame.newBuilder().setId(77).setPing(Ping.getDefaultInstance()).build()
                    .toByteArray());
        } else {
            ws.sendText("{\"id\":\"77\",\"ping\":{}}");
        }
        ServerFrame reply = ws.readServerFrame();
        assertNotNull(reply, "connection closed, status " + ws.closeStatus());
        assertEquals(77, reply.getReply().getId());
        assertTrue(reply.getReply().hasOk());
    }

    @Test
    void malformedAndTruncatedProtobufGetsBadRequestAndTheConnectionStays() throws Exception {
        byte[] valid = ClientFrame.newBuilder().setId(5)
                .setSubscribe(Subscribe.newBuilder().setChannel(TOPIC)).build().toByteArray();
        List<byte[]> inputs = new ArrayList<>();
        for (int cut = 1; cut < valid.length; cut++) {
            inputs.add(Arrays.copyOf(valid, cut));
        }
        inputs.add(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x01}); // varint longer than 10 bytes
        inputs.add(new byte[] {0x12, 0x7f, 0x0a}); // length past the end
        inputs.add(new byte[] {0x0f}); // wire type 7 does not exist
        inputs.add(new byte[] {0x13}); // start group, never ended
        inputs.add(new byte[] {0x12, 0x03, 0x0a, 0x01, (byte) 0xc3}); // channel that is not UTF-8
        byte[] nested = new byte[4000];
        for (int i = 0; i < nested.length; i += 2) {
            nested[i] = 0x12; // subscribe, length-delimited, nested far deeper than any message
            nested[i + 1] = 0x7f;
        }
        inputs.add(nested);
        try (RawWebSocket ws = connect("fanwire.v1.proto")) {
            for (byte[] input : inputs) {
                ws.sendFrame(0x2, input);
                assertBadRequest(ws);
            }
            ws.sendFrame(0x1, "text on the binary subprotocol".getBytes(StandardCharsets.UTF_8));
            assertBadRequest(ws);
            assertPingAnswered(ws, true);
        }
    }

    @Test
    void invalidUtf8AndDeeplyNestedJsonGetBadRequest() throws Exception {
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            ws.sendFrame(0x1, new byte[] {'{', '"', (byte) 0xc3, 0x28, '"', ':', '1', '}'});
            assertBadRequest(ws);
            ws.sendFrame(0x1, new byte[] {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80,
                    '"', '}'}); // an encoded surrogate half
            assertBadRequest(ws);
            ws.sendText("{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000));
            assertBadRequest(ws);
            ws.sendText("[".repeat(60_000));
            assertBadRequest(ws);
            ws.sendText("{\"id\":\"1e999999\",\"ping\":{}}");
            assertBadRequest(ws);
            ws.sendText("{\"id\":\"18446744073709551616\",\"ping\":{}}");
            assertBadRequest(ws);
            ws.sendText("{\"id\":\"1\",\"subscribe\":{\"channel\":\"" + TOPIC + "\"},\"ping\":{}}");
            assertBadRequest(ws);
            ws.sendText("");
            assertBadRequest(ws);
            assertPingAnswered(ws, false);
        }
    }

    @Test
    void aFrameAnnouncingMoreThanTheLimitIsClosedWith1009BeforeItArrives() throws Exception {
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            // Header only: FIN text, masked, 64-bit length of 1 GiB, mask key. The payload never comes.
            ws.sendRaw(new byte[] {(byte) 0x81, (byte) 0xff, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4});
            assertEquals(1009, closeStatus(ws));
        }
    }

    @Test
    void fragmentsWithInterleavedControlFramesAreJoinedAndBrokenFragmentationIsAProtocolError() throws Exception {
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            ws.sendFragment(0x1, "{\"id\":\"9\",".getBytes(StandardCharsets.UTF_8), false);
            ws.sendFrame(0x9, "mid-message ping".getBytes(StandardCharsets.UTF_8));
            ws.sendFragment(0x0, "\"ping\"".getBytes(StandardCharsets.UTF_8), false);
            ws.sendFrame(0xA, new byte[0]); // an unsolicited pong is allowed and ignored
            ws.sendFragment(0x0, ":{}}".getBytes(StandardCharsets.UTF_8), true);
            RawWebSocket.Frame pong = ws.readFrame();
            assertEquals(0xA, pong.opcode());
            assertEquals("mid-message ping", new String(pong.payload(), StandardCharsets.UTF_8));
            ServerFrame reply = ws.readServerFrame();
            assertEquals(9, reply.getReply().getId());
            assertTrue(reply.getReply().hasOk());
        }
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            ws.sendFragment(0x0, "{}".getBytes(StandardCharsets.UTF_8), true);
            assertEquals(1002, closeStatus(ws), "a continuation that continues nothing");
        }
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            ws.sendFragment(0x1, "{".getBytes(StandardCharsets.UTF_8), false);
            ws.sendFragment(0x1, "{".getBytes(StandardCharsets.UTF_8), true);
            assertEquals(1002, closeStatus(ws), "a new message inside a fragmented one");
        }
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            ws.sendFragment(0x9, "fragmented ping".getBytes(StandardCharsets.UTF_8), false);
            assertEquals(1002, closeStatus(ws), "control frames must not be fragmented");
        }
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            ws.sendFrame(0x9, new byte[126]);
            assertEquals(1002, closeStatus(ws), "control frames carry at most 125 bytes");
        }
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            ws.sendFrame(0x3, new byte[] {1});
            assertEquals(1002, closeStatus(ws), "reserved opcode");
        }
    }

    @Test
    void unmaskedClientFramesAreAProtocolError() throws Exception {
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            ws.sendFrame(0x1, "{\"id\":\"1\",\"ping\":{}}".getBytes(StandardCharsets.UTF_8), false);
            assertEquals(1002, closeStatus(ws));
        }
    }

    @Test
    void aPingFloodIsAnsweredUpToTheRateThenClosed() throws Exception {
        long pinnedBefore = PooledByteBufAllocator.DEFAULT.pinnedDirectMemory();
        int pongs = 0;
        int status = -1;
        long start = System.nanoTime();
        try (RawWebSocket ws = connect("fanwire.v1.json")) {
            ExecutorService flooder = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> sent = flooder.submit(() -> {
                    byte[] payload = new byte[125];
                    int n = 0;
                    try {
                        for (; n < 20_000; n++) {
                            ws.sendFrame(0x9, payload);
                        }
                    } catch (IOException closedByTheGateway) {
                        // Expected: the gateway closes the flooder.
                    }
                    return n;
                });
                try {
                    for (RawWebSocket.Frame frame; (frame = ws.readFrame()) != null; ) {
                        if (frame.opcode() == 0xA) {
                            pongs++;
                        } else if (frame.opcode() == 0x8) {
                            status = frame.closeStatus();
                            break;
                        }
                    }
                } catch (IOException reset) {
                    // The close may arrive as a reset once the flooder writes into a closed connection.
                }
                sent.get(WsTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
            } finally {
                flooder.shutdownNow();
            }
        }
        assertTrue(status == 1008 || status == -1, "closed for rate, not " + status);
        long refill = 100 * (1 + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        assertTrue(pongs <= 1_000 + refill, "no more pongs than the burst and the refill: " + pongs);
        assertTrue(LimitsIT.value(TestGateway.admin(gateway, "/metrics").body(), "frame_rate") >= 100);
        assertTrue(PooledByteBufAllocator.DEFAULT.pinnedDirectMemory() - pinnedBefore < 16 << 20,
                "direct memory did not grow with the flood");
    }

    @Test
    void slowlorisUpgradesAreCutOffByTheHandshakeTimeout() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5_000);
                socket.getOutputStream().write("GET /ws HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                sockets.add(socket);
            }
            long deadline = System.nanoTime() + WsTestClient.WAIT.toNanos();
            int closed = 0;
            for (Socket socket : sockets) {
                socket.setSoTimeout(100);
                while (System.nanoTime() < deadline) {
                    try {
                        socket.getOutputStream().write('X'); // one more header byte now and then
                        if (socket.getInputStream().read() < 0) {
                            closed++;
                            break;
                        }
                    } catch (SocketTimeoutException stillOpen) {
                        continue;
                    } catch (IOException reset) {
                        closed++;
                        break;
                    }
                }
            }
            assertEquals(50, closed);
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    @Test
    void tenThousandUnauthenticatedAttemptsAreRefusedWith401() throws Exception {
        String valid = TestTokens.hs256("mallory");
        String[] parts = valid.split("\\.");
        String tampered = parts[0] + "." + parts[1].substring(0, parts[1].length() - 2) + "AA." + parts[2];
        String expired = TestTokens.hs256("mallory", Duration.ofMinutes(-10), Map.of());
        String unsigned = new PlainJWT(TestTokens.claims("mallory", Duration.ofMinutes(5), Map.of())).serialize();
        String forged = TestTokens.sign(com.nimbusds.jose.JWSAlgorithm.HS256, null,
                TestTokens.macSigner("not-the-secret-not-the-secret-not-the"),
                TestTokens.claims("mallory", Duration.ofMinutes(5), Map.of()));
        List<String> headers = List.of("", "Authorization: Bearer " + tampered + "\r\n",
                "Authorization: Bearer " + expired + "\r\n", "Authorization: Bearer " + unsigned + "\r\n",
                "Authorization: Bearer " + forged + "\r\n", "Authorization: Bearer garbage\r\n",
                "Authorization: Basic bWFsbG9yeTpwdw==\r\n");
        long pinnedBefore = PooledByteBufAllocator.DEFAULT.pinnedDirectMemory();
        int threads = 4;
        int perThread = 2_500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger refused = new AtomicInteger();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                InetAddress source = InetAddress.getByName("127.0.0." + (2 + t));
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        String status = attempt(source, headers.get(i % headers.size()));
                        assertTrue(status.startsWith("HTTP/1.1 401"), status);
                        refused.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(threads * perThread, refused.get());
        String metrics = TestGateway.admin(gateway, "/metrics").body();
        assertTrue(metrics.contains("fanwire_auth_rejections_total{reason=\"missing_token\"}"), metrics);
        TestGateway.await("the refused connections are gone", () -> gateway.metrics().connections() == 1);
        assertTrue(PooledByteBufAllocator.DEFAULT.pinnedDirectMemory() - pinnedBefore < 16 << 20,
                "direct memory did not grow with the attempts");
    }

    @Test
    void onlyRfc6455IsSpokenNotTheOlderDrafts() throws Exception {
        String token = "Authorization: Bearer " + TestTokens.hs256("drafts") + "\r\n";
        InetAddress local = InetAddress.getByName("127.0.0.1");
        assertTrue(attempt(local, token, "").startsWith("HTTP/1.1 426"), "no version: hixie-76");
        assertTrue(attempt(local, token, "Sec-WebSocket-Version: 8\r\n").startsWith("HTTP/1.1 426"));
        assertTrue(attempt(local, token, "Sec-WebSocket-Version: 7\r\n").startsWith("HTTP/1.1 426"));
        assertTrue(attempt(local, token, "Sec-WebSocket-Version: 13\r\n").startsWith("HTTP/1.1 101"));
    }

    private static String attempt(InetAddress source, String authHeader) throws IOException {
        return attempt(source, authHeader, "Sec-WebSocket-Version: 13\r\n");
    }

    /** One upgrade attempt with {@code authHeader} from {@code source}; returns the response's status line. */
    private static String attempt(InetAddress source, String authHeader, String versionHeader) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setSoTimeout((int) WsTestClient.WAIT.toMillis());
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()), (int) WsTestClient.WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + versionHeader + authHeader
                    + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
                line.write(b);
            }
            return line.toString(StandardCharsets.US_ASCII);
        }
    }

    private static int closeStatus(RawWebSocket ws) throws IOException {
        for (RawWebSocket.Frame frame; (frame = ws.readFrame()) != null; ) {
            if (frame.opcode() == 0x8) {
                return frame.closeStatus();
            }
        }
        return -1;
    }
}
