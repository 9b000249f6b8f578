package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Ping;
import io.fanwire.protocol.v1.Publish;
import io.fanwire.protocol.v1.Reply;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The wire contract of protocol/PROTOCOL.md over real sockets: subprotocol negotiation, both encodings,
 * and the documented answer to each kind of bad input, while another client keeps receiving.
 */
class ProtocolIT {

    private static final int MAX_FRAME_BYTES = 4096;

    private final String topic = "protocol-" + UUID.randomUUID().toString().substring(0, 8);
    private Gateway gateway;
    private TestProducer producer;

    @BeforeEach
    void start() throws Exception {
        TestKafka.createTopic(topic, 2);
        gateway = TestGateway.start(List.of(topic), Map.of("ws.max.frame.bytes", Integer.toString(MAX_FRAME_BYTES)));
        producer = new TestProducer();
    }

    @AfterEach
    void stop() {
        producer.close();
        gateway.close();
    }

    @Test
    void jsonAndProtobufCarryEquivalentMessages() throws Exception {
        try (WsTestClient json = WsTestClient.json(TestGateway.wsUri(gateway));
             WsTestClient proto = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            assertEquals("fanwire.v1.json", json.selectedSubprotocol());
            assertEquals("fanwire.v1.proto", proto.selectedSubprotocol());
            json.subscribeOk(topic);
            proto.subscribeOk(topic);
            producer.send(topic, "K", "payload ✓");

            Message fromJson = json.awaitMessage();
            Message fromProto = proto.awaitMessage();
            assertEquals(fromProto, fromJson);
            String text = json.rawText().stream().filter(t -> t.startsWith("{\"message\"")).findFirst().orElseThrow();
            assertTrue(text.contains("\"channel\":\"" + topic + "/K\""), text);
            assertTrue(text.contains("\"payload\":\"" + java.util.Base64.getEncoder()
                    .encodeToString("payload ✓".getBytes(StandardCharsets.UTF_8)) + "\""), text);
            assertTrue(text.matches(".*\"offset\":\"\\d+\".*") || fromJson.getOffset() == 0, "int64 as a string: " + text);
        }
    }

    @Test
    void noSubprotocolOfferedMeansJson() throws Exception {
        try (WsTestClient client = WsTestClient.connect(TestGateway.wsUri(gateway), null)) {
            assertEquals("", client.selectedSubprotocol());
            client.sendText("{\"id\":\"7\",\"subscribe\":{\"channel\":\"" + topic + "\"}}");
            String reply = client.rawText().poll(20, TimeUnit.SECONDS);
            // A fresh topic: live delivery starts before offset 0 in each of its partitions.
            assertEquals("{\"reply\":{\"id\":\"7\",\"subscribed\":{\"positions\":[{\"offset\":\"-1\"},"
                    + "{\"partition\":1,\"offset\":\"-1\"}]}}}", reply);
        }
    }

    @Test
    void unknownSubprotocolIsRefusedAtTheUpgrade() throws Exception {
        String response = rawHttp("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: mqtt\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 400"), response);
        assertTrue(response.contains("fanwire.v1.json"), response);
    }

    @Test
    void badUpgradesGetHttpErrors() throws Exception {
        assertTrue(rawHttp("GET /ws HTTP/1.1\r\nHost: localhost\r\n\r\n").startsWith("HTTP/1.1 400"));
        assertTrue(rawHttp("POST /ws HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n").startsWith("HTTP/1.1 405"));
        assertTrue(rawHttp("GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n").startsWith("HTTP/1.1 404"));
        String oldVersion = rawHttp("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n");
        assertTrue(oldVersion.startsWith("HTTP/1.1 426"), oldVersion);
        assertTrue(oldVersion.contains("sec-websocket-version: 13") || oldVersion.contains("Sec-WebSocket-Version: 13"),
                oldVersion);
    }

    @Test
    void demoPageIsServed() throws Exception {
        HttpResponse<String> page = TestGateway.get(java.net.URI.create("http://127.0.0.1:" + gateway.port() + "/"));
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("content-type").orElse("").startsWith("text/html"));
        assertTrue(page.body().contains("/fanwire.js"), "the page runs on the bundled client");
        HttpResponse<String> script = TestGateway.get(java.net.URI.create("http://127.0.0.1:" + gateway.port()
                + "/fanwire.js"));
        assertEquals(200, script.statusCode());
        assertTrue(script.headers().firstValue("content-type").orElse("").startsWith("text/javascript"));
        assertTrue(script.body().contains("fanwire.v1.json"), "the client names its subprotocols");
        String head = rawHttp("HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertTrue(head.startsWith("HTTP/1.1 200"), head);
        assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("content-length: "
                + page.body().getBytes(StandardCharsets.UTF_8).length), head);
        assertTrue(head.endsWith("\r\n\r\n"), "a HEAD answer has no body: " + head);
    }

    @Test
    void badInputGetsItsDocumentedAnswerWhileOthersKeepReceiving() throws Exception {
        try (WsTestClient bystander = WsTestClient.proto(TestGateway.wsUri(gateway));
             WsTestClient json = WsTestClient.json(TestGateway.wsUri(gateway));
             WsTestClient proto = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            bystander.subscribeOk(topic);

            json.sendText("{not json");
            assertError(json.awaitReply(0), "BAD_REQUEST");
            json.sendText("{\"id\":\"3\",\"subscribe\":{\"channel\":\"x\"},\"bogus\":1}");
            assertError(json.awaitReply(0), "BAD_REQUEST");
            json.sendBinary(new byte[] {1, 2, 3});
            assertError(json.awaitReply(0), "BAD_REQUEST");
            json.sendText("{\"id\":\"4\"}");
            assertError(json.awaitReply(4), "BAD_REQUEST");
            assertError(json.subscribe(""), "BAD_REQUEST");
            assertError(json.subscribe(topic + "/"), "BAD_REQUEST");
            Reply notFound = json.subscribe("nosuchtopic");
            assertError(notFound, "NOT_FOUND");
            assertEquals("topic nosuchtopic is not served", notFound.getError().getMessage());

            proto.sendBinary(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F});
            assertError(proto.awaitReply(0), "BAD_REQUEST");
            proto.sendText("{\"id\":\"1\",\"ping\":{}}");
            assertError(proto.awaitReply(0), "BAD_REQUEST");

            json.send(ClientFrame.newBuilder().setId(9).setPing(Ping.getDefaultInstance()).build());
            assertTrue(json.awaitReply(9).hasOk(), "the connection still works after bad input");
            json.send(ClientFrame.newBuilder().setId(10).setPublish(Publish.newBuilder().setChannel(topic)).build());
            assertError(json.awaitReply(10), "FORBIDDEN");

            proto.sendBinary(new byte[MAX_FRAME_BYTES + 1]);
            assertEquals(1009, proto.awaitClose());

            producer.send(topic, "still", "flowing");
            assertEquals("flowing", bystander.awaitMessage().getPayload().toStringUtf8());
            assertFalse(bystander.isClosed());
        }
    }

    @Test
    void publishProducesToKafkaAndRepliesAfterTheAck() throws Exception {
        gateway.close();
        gateway = TestGateway.start(List.of(topic), Map.of("publish.enabled", "true"));
        try (WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic + "/me");
            client.send(ClientFrame.newBuilder().setId(5).setPublish(Publish.newBuilder()
                    .setChannel(topic + "/me")
                    .setPayload(com.google.protobuf.ByteString.copyFromUtf8("hi"))
                    .putHeaders("trace", "abc")).build());
            assertTrue(client.awaitReply(5).hasOk());
            Message message = client.awaitMessage();
            assertEquals("hi", message.getPayload().toStringUtf8());
            assertEquals("me", message.getKey());
            assertEquals("abc", message.getHeadersMap().get("trace"));
        }
    }

    private static void assertError(Reply reply, String code) {
        assertTrue(reply.hasError(), "expected an error reply, got " + reply);
        assertEquals(code, reply.getError().getCode(), reply.toString());
        assertFalse(reply.getError().getMessage().isBlank());
    }

    private String rawHttp(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout((int) Duration.ofSeconds(20).toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            int n = in.read(buffer);
            return n <= 0 ? "" : new String(buffer, 0, n, StandardCharsets.US_ASCII);
        }
    }
}
