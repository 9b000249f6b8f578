package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.TestTokens;
import io.fanwire.gateway.testing.WsTestClient;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * TLS from PEM files on the WebSocket (wss://) and admin (https://) listeners, with a real TLS client (the
 * JDK's) that trusts only the test certificate. The certificate in src/test/resources/tls is self-signed for
 * localhost and 127.0.0.1, valid until 2126, and exists for this test only.
 */
class TlsIT {

    @Test
    void webSocketAndAdminSpeakTlsAndPlainTcpGetsNowhere() throws Exception {
        String topic = "tls-" + UUID.randomUUID().toString().substring(0, 8);
        TestKafka.createTopic(topic, 1);
        Path certs = Path.of(TlsIT.class.getResource("/tls/cert.pem").toURI()).getParent();
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of(
                "tls.cert.file", certs.resolve("cert.pem").toString(),
                "tls.key.file", certs.resolve("key.pem").toString(),
                "auth.anonymous", "false", "auth.hs256.secret", TestTokens.SECRET));
             TestProducer producer = new TestProducer()) {
            HttpClient tlsClient = HttpClient.newBuilder().sslContext(trustingTestCertificate()).build();

            HttpResponse<String> health = tlsClient.send(HttpRequest.newBuilder(
                            URI.create("https://127.0.0.1:" + gateway.adminPort() + "/healthz"))
                    .timeout(WsTestClient.WAIT).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());

            CompletableFuture<String> received = new CompletableFuture<>();
            WebSocket ws = tlsClient.newWebSocketBuilder()
                    .header("Authorization", "Bearer " + TestTokens.hs256("tls-user"))
                    .subprotocols("fanwire.v1.json")
                    .buildAsync(URI.create("wss://127.0.0.1:" + gateway.port() + "/ws"), new WebSocket.Listener() {
                        private final StringBuilder text = new StringBuilder();

                        @Override
                        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                            text.append(data);
                            if (last && text.indexOf("\"message\"") >= 0) {
                                received.complete(text.toString());
                            } else if (last) {
                                text.setLength(0);
                            }
                            socket.request(1);
                            return null;
                        }
                    }).get(WsTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
            ws.sendText("{\"id\":\"1\",\"subscribe\":{\"channel\":\"" + topic + "\"}}", true)
                    .get(WsTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
            TestGateway.await("subscribed", () -> gateway.metrics().subscriptions() == 1);
            producer.send(topic, "k", "over tls");
            String message = received.get(WsTestClient.WAIT.toSeconds(), TimeUnit.SECONDS);
            assertTrue(message.contains("\"channel\":\"" + topic + "/k\""), message);
            ws.abort();

            // A client that does not speak TLS gets no HTTP answer, on either port.
            assertThrows(Exception.class, () -> TestGateway.get(
                    URI.create("http://127.0.0.1:" + gateway.adminPort() + "/healthz")));
            assertThrows(Exception.class, () -> WsTestClient.json(TestGateway.wsUri(gateway)));
        }
    }

    static SSLContext trustingTestCertificate() throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream pem = TlsIT.class.getResourceAsStream("/tls/cert.pem")) {
            trust.setCertificateEntry("fanwire-test",
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(pem));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
