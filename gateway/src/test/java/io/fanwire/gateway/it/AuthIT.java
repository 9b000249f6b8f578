package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.TestTokens;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Ping;
import io.fanwire.protocol.v1.Publish;
import io.fanwire.protocol.v1.Refresh;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Authentication and access control over real sockets, with real signed tokens: what a new user of a
 * production gateway meets. The gateway here does not opt into anonymous access.
 */
class AuthIT {

    private static Map<String, String> production(Map<String, String> extra) {
        Map<String, String> settings = new java.util.HashMap<>(Map.of(
                "auth.anonymous", "false", "auth.hs256.secret", TestTokens.SECRET));
        settings.putAll(extra);
        return settings;
    }

    @Test
    void withProductionDefaultsAUserReadsOnlyTheirOwnInbox() throws Exception {
        // The default rules name the topic "inbox"; this is the one test that owns it.
        TestKafka.createTopic("inbox", 2);
        try (Gateway gateway = TestGateway.start(List.of("inbox"), production(Map.of()));
             TestProducer producer = new TestProducer()) {
            URI ws = TestGateway.wsUri(gateway);
            assertEquals(401, WsTestClient.refusedUpgradeStatus(ws, Map.of()));
            assertEquals(401, WsTestClient.refusedUpgradeStatus(ws, Map.of("Authorization", "Bearer nonsense")));
            assertEquals(401, WsTestClient.refusedUpgradeStatus(ws, Map.of("Authorization", "Basic YTpi")));
            String forged = TestTokens.sign(com.nimbusds.jose.JWSAlgorithm.HS256, null,
                    TestTokens.macSigner("another-secret-another-secret-another"), TestTokens.claims("alice",
                            Duration.ofMinutes(5), Map.of()));
            assertEquals(401, WsTestClient.refusedUpgradeStatus(ws, Map.of("Authorization", "Bearer " + forged)));
            String expired = TestTokens.hs256("alice", Duration.ofMinutes(-5), Map.of());
            assertEquals(401, WsTestClient.refusedUpgradeStatus(ws, Map.of("Authorization", "Bearer " + expired)));

            try (WsTestClient alice = WsTestClient.withToken(ws, TestTokens.hs256("alice"));
                 WsTestClient bob = WsTestClient.connect(
                         URI.create(ws + "?access_token=" + TestTokens.hs256("bob")), "fanwire.v1.json")) {
                alice.subscribeOk("inbox/alice");
                Reply stolen = alice.subscribe("inbox/bob");
                assertEquals("FORBIDDEN", stolen.getError().getCode(), stolen.toString());
                assertEquals("FORBIDDEN", alice.subscribe("inbox").getError().getCode());
                bob.subscribeOk("inbox/bob");
                assertTrue(alice.request(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance())).hasOk(),
                        "a refused request leaves the connection open");

                producer.send("inbox", "bob", "for bob");
                producer.send("inbox", "alice", "for alice");
                Message toAlice = alice.awaitMessage();
                assertEquals("inbox/alice", toAlice.getChannel());
                assertEquals("for alice", toAlice.getPayload().toStringUtf8());
                assertEquals("for bob", bob.awaitMessage().getPayload().toStringUtf8());
                alice.assertNothingWithin(Duration.ofMillis(300));
            }
            String metrics = TestGateway.admin(gateway, "/metrics").body();
            assertTrue(metrics.contains("fanwire_auth_rejections_total{reason=\"missing_token\"} 1"), metrics);
            assertTrue(metrics.contains("fanwire_auth_rejections_total{reason=\"invalid_token\"} 4"), metrics);
            assertTrue(metrics.contains("fanwire_auth_rejections_total{reason=\"forbidden\"} 2"), metrics);
        }
    }

    @Test
    void publishFollowsTheRulesAndRefreshReplacesTheToken() throws Exception {
        String topic = "auth-" + UUID.randomUUID().toString().substring(0, 8);
        TestKafka.createTopic(topic, 1);
        String rules = "publish " + topic + "/* claim:roles=writer; subscribe * authenticated";
        try (Gateway gateway = TestGateway.start(List.of(topic), production(Map.of(
                "auth.rules", rules, "publish.enabled", "true")));
             WsTestClient writer = WsTestClient.withToken(TestGateway.wsUri(gateway),
                     TestTokens.hs256("w", Duration.ofMinutes(5), Map.of("roles", List.of("writer"))));
             WsTestClient reader = WsTestClient.withToken(TestGateway.wsUri(gateway), TestTokens.hs256("r"))) {
            reader.subscribeOk(topic);
            Reply refused = reader.request(publish(topic + "/k", "x"));
            assertEquals("FORBIDDEN", refused.getError().getCode());
            assertTrue(writer.request(publish(topic + "/k", "hello")).hasOk());
            assertEquals("hello", reader.awaitMessage().getPayload().toStringUtf8());

            assertTrue(reader.request(refresh(TestTokens.hs256("r", Duration.ofMinutes(30), Map.of()))).hasOk());
            Reply otherSubject = reader.request(refresh(TestTokens.hs256("w")));
            assertEquals("FORBIDDEN", otherSubject.getError().getCode());
            Reply garbage = reader.request(refresh("garbage"));
            assertEquals("UNAUTHENTICATED", garbage.getError().getCode());
            Reply expired = reader.request(refresh(TestTokens.hs256("r", Duration.ofMinutes(-5), Map.of())));
            assertEquals("UNAUTHENTICATED", expired.getError().getCode());
            assertTrue(reader.request(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance())).hasOk());
        }
    }

    @Test
    void anExpiredTokenEndsTheConnectionWithGoAwayUnlessRefreshed() throws Exception {
        String topic = "expiry-" + UUID.randomUUID().toString().substring(0, 8);
        TestKafka.createTopic(topic, 1);
        try (Gateway gateway = TestGateway.start(List.of(topic), production(Map.of("auth.clock.skew.ms", "0")))) {
            URI ws = TestGateway.wsUri(gateway);
            try (WsTestClient lapsing = WsTestClient.withToken(ws, TestTokens.hs256("u", Duration.ofSeconds(3), Map.of()));
                 WsTestClient refreshed = WsTestClient.withToken(ws, TestTokens.hs256("u", Duration.ofSeconds(3), Map.of()))) {
                lapsing.subscribeOk(topic);
                refreshed.subscribeOk(topic);
                assertTrue(refreshed.request(refresh(TestTokens.hs256("u", Duration.ofMinutes(5), Map.of()))).hasOk());

                ServerFrame goAway = lapsing.poll(WsTestClient.WAIT);
                assertTrue(goAway != null && goAway.hasGoAway(), "expected GoAway, got " + goAway);
                assertTrue(goAway.getGoAway().getReason().startsWith("token expired"));
                assertEquals(4001, lapsing.awaitClose());
                assertEquals("token expired", lapsing.closeReason());

                assertFalse(refreshed.isClosed());
                assertTrue(refreshed.request(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance())).hasOk());
            }
            String metrics = TestGateway.admin(gateway, "/metrics").body();
            assertTrue(metrics.contains("fanwire_auth_rejections_total{reason=\"token_expired\"} 1"), metrics);
        }
    }

    @Test
    void stateChangingAdminRequestsNeedTheAdminToken() throws Exception {
        String topic = "admintoken-" + UUID.randomUUID().toString().substring(0, 8);
        TestKafka.createTopic(topic, 1);
        try (Gateway without = TestGateway.start(List.of(topic));
             Gateway with = TestGateway.start(List.of(topic), Map.of("admin.token", "s3cret-admin"))) {
            assertEquals(403, post(without, "/drain", null).statusCode());
            assertEquals(200, TestGateway.admin(without, "/healthz").statusCode());
            HttpResponse<String> noHeader = post(with, "/drain", null);
            assertEquals(401, noHeader.statusCode());
            assertTrue(noHeader.headers().firstValue("www-authenticate").orElse("").startsWith("Bearer"));
            assertEquals(403, post(with, "/drain", "Bearer wrong").statusCode());
            assertEquals(403, post(with, "/anything-added-later", "Bearer s3cret-admin-and-more").statusCode());
            int authorized = post(with, "/no-such-endpoint", "Bearer s3cret-admin").statusCode();
            assertEquals(404, authorized, "with the token the request reaches the endpoints");
            assertTrue(TestGateway.admin(with, "/metrics").body()
                    .contains("fanwire_auth_rejections_total{reason=\"admin_token\"} 3"));
        }
    }

    private static HttpResponse<String> post(Gateway gateway, String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateway.adminPort() + path))
                .timeout(WsTestClient.WAIT).POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static ClientFrame.Builder publish(String channel, String payload) {
        return ClientFrame.newBuilder().setPublish(Publish.newBuilder().setChannel(channel)
                .setPayload(com.google.protobuf.ByteString.copyFromUtf8(payload)));
    }

    private static ClientFrame.Builder refresh(String token) {
        return ClientFrame.newBuilder().setRefresh(Refresh.newBuilder().setToken(token));
    }
}
