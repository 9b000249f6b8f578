package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * {@code ws.proxy.protocol} over real sockets: every connection comes from 127.0.0.1, as from one load balancer, and
 * its PROXY header names the client. The per-address limit counts the named clients; connections without a valid
 * header are closed and counted while a subscribed client keeps receiving; the admin port needs no header.
 */
class ProxyProtocolIT {

    private static final String UPGRADE = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: fanwire.v1.json\r\n\r\n";

    private final String topic = "proxy-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void limitsCountTheProxiedClientAndBadHeadersAreClosed() throws Exception {
        TestKafka.createTopic(topic, 1);
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of("ws.proxy.protocol", "true",
                "ws.max.connections.per.address", "2", "ws.handshake.timeout.ms", "2000"));
             TestProducer producer = new TestProducer();
             RawWebSocket subscriber = RawWebSocket.connectBehindProxy(versionTwo("203.0.113.7"), gateway.port(),
                     "fanwire.v1.json")) {
            subscriber.sendText("{\"id\":\"1\",\"subscribe\":{\"channel\":\"" + topic + "\"}}");
            assertTrue(subscriber.readServerFrame().getReply().hasSubscribed());
            int sent = 0;
            producer.send(topic, "k", "{\"n\":" + sent++ + "}");
            assertReceives(subscriber, 1);

            List<RawWebSocket> open = new ArrayList<>();
            try {
                open.add(RawWebSocket.connectBehindProxy(versionTwo("203.0.113.7"), gateway.port(),
                        "fanwire.v1.json"));
                // Closed before any HTTP answer: an empty head, or a reset when the request was still unread.
                assertThrows(IOException.class, () -> RawWebSocket.connectBehindProxy(versionTwo("203.0.113.7"),
                        gateway.port(), "fanwire.v1.json"));
                open.add(RawWebSocket.connectBehindProxy(versionTwo("203.0.113.8"), gateway.port(),
                        "fanwire.v1.json"));
                open.add(RawWebSocket.connectBehindProxy(
                        "PROXY TCP4 203.0.113.9 192.0.2.1 51234 8080\r\n".getBytes(StandardCharsets.US_ASCII),
                        gateway.port(), "fanwire.v1.json"));
                producer.send(topic, "k", "{\"n\":" + sent++ + "}");
                assertReceives(subscriber, 1);

                assertClosedByGateway(gateway, UPGRADE.getBytes(StandardCharsets.US_ASCII));
                // Longer than any version 1 header, so the decoder gives up at once whatever the bytes are.
                byte[] garbage = new byte[200];
                new Random(7).nextBytes(garbage);
                assertClosedByGateway(gateway, garbage);
                // The first bytes of a version 2 header, and nothing more: only the handshake clock ends it.
                assertClosedByGateway(gateway, Arrays.copyOf(versionTwo("203.0.113.10"), 8));
                producer.send(topic, "k", "{\"n\":" + sent++ + "}");
                assertReceives(subscriber, 1);
            } finally {
                for (RawWebSocket ws : open) {
                    ws.close();
                }
            }

            TestGateway.await("rejections counted", () -> rejected(gateway, "malformed") == 2
                    && rejected(gateway, "timeout") == 1);
            String metrics = TestGateway.admin(gateway, "/metrics").body();
            assertEquals(1, LimitsIT.value(metrics, "connections_per_address"), metrics);
            assertEquals(0, LimitsIT.value(metrics, "handshake_timeout"), metrics);
            assertEquals(200, TestGateway.admin(gateway, "/readyz").statusCode(),
                    "the admin port answers plain HTTP: the balancer's health checks need no header");
            producer.send(topic, "k", "{\"n\":" + sent + "}");
            assertReceives(subscriber, 1);
        }
    }

    @Test
    void theHeaderComesBeforeTls() throws Exception {
        TestKafka.createTopic(topic, 1);
        Path certs = Path.of(ProxyProtocolIT.class.getResource("/tls/cert.pem").toURI()).getParent();
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of("ws.proxy.protocol", "true",
                "tls.cert.file", certs.resolve("cert.pem").toString(),
                "tls.key.file", certs.resolve("key.pem").toString()));
             Socket tcp = new Socket()) {
            tcp.setSoTimeout((int) WsTestClient.WAIT.toMillis());
            tcp.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
            tcp.getOutputStream().write(versionTwo("203.0.113.7"));
            // As HAProxy with send-proxy-v2 in front of a TLS node: the header in clear, then the client's TLS.
            try (SSLSocket tls = (SSLSocket) TlsIT.trustingTestCertificate().getSocketFactory()
                    .createSocket(tcp, "127.0.0.1", gateway.port(), true)) {
                tls.getOutputStream().write(UPGRADE.getBytes(StandardCharsets.US_ASCII));
                tls.getOutputStream().flush();
                byte[] status = tls.getInputStream().readNBytes("HTTP/1.1 101".length());
                assertEquals("HTTP/1.1 101", new String(status, StandardCharsets.US_ASCII));
            }
        }
    }

    /** Reads {@code count} record messages from {@code ws}. */
    private static void assertReceives(RawWebSocket ws, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            ServerFrame frame = ws.readServerFrame();
            assertTrue(frame != null && frame.hasMessage(), "a record, not " + frame);
            Message message = frame.getMessage();
            assertEquals("k", message.getKey());
        }
    }

    /** Opens a connection from 127.0.0.1, writes {@code bytes} and waits until the gateway closes it. */
    private static void assertClosedByGateway(Gateway gateway, byte[] bytes) throws IOException {
        try (Socket socket = new Socket()) {
            socket.setSoTimeout((int) WsTestClient.WAIT.toMillis());
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(bytes);
            out.flush();
            try {
                assertEquals(-1, in.read(), "the gateway answers nothing to a connection without a valid header");
            } catch (java.net.SocketException reset) {
                // A reset is a close too: the gateway closed with unread bytes.
            }
        }
    }

    private static long rejected(Gateway gateway, String reason) {
        Matcher m = Pattern.compile("(?m)^fanwire_proxy_protocol_rejected_total\\{reason=\"" + reason + "\"} (\\d+)$")
                .matcher(gateway.metrics().render());
        assertTrue(m.find(), reason);
        return Long.parseLong(m.group(1));
    }

    /** A version 2 header for a TCP over IPv4 client at {@code source}, as HAProxy's send-proxy-v2 sends it. */
    private static byte[] versionTwo(String source) {
        EmbeddedChannel encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        encoder.writeOutbound(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                HAProxyProxiedProtocol.TCP4, source, "192.0.2.1", 51234, 8080));
        ByteBuf encoded = encoder.readOutbound();
        byte[] bytes = ByteBufUtil.getBytes(encoded);
        encoded.release();
        encoder.finishAndReleaseAll();
        return bytes;
    }
}
