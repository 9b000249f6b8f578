package io.fanwire.gateway.it.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.client.AuthenticationException;
import io.fanwire.client.BlockingSubscription;
import io.fanwire.client.ClientState;
import io.fanwire.client.FanwireClient;
import io.fanwire.client.FanwireException;
import io.fanwire.client.FanwireMessage;
import io.fanwire.client.Format;
import io.fanwire.client.Gap;
import io.fanwire.client.NotConnectedException;
import io.fanwire.client.ProtocolException;
import io.fanwire.client.RequestRefusedException;
import io.fanwire.client.SubscribeOptions;
import io.fanwire.client.Subscription;
import io.fanwire.client.SubscriptionListener;
import io.fanwire.client.SubscriptionState;
import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.GatewayProcess;
import io.fanwire.gateway.testing.SequenceLog;
import io.fanwire.gateway.testing.SequenceProducer;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestTokens;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client conformance scenarios of PROTOCOL.md §12, run by the product Java client ({@code clients/java})
 * against real gateway nodes — packaged ones in child processes where a test sends signals, in-process ones
 * elsewhere — and the real test broker. Every record a client hands to the application goes through a strict
 * {@link SequenceLog} (per key: contiguous sequence numbers, never a duplicate, never out of order); scenarios
 * about bad input also check that reconnect attempts keep to the backoff.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JavaClientConformanceIT {

    /** The backoff of the bad-input tests: short, so that a few seconds show several attempts. */
    private static final Duration BASE = Duration.ofMillis(200);
    private static final Duration CAP = Duration.ofMillis(800);

    private final String topic = "conf-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (Exception e) {
                // the test's own assertions tell what went wrong
            }
        }
    }

    private <T extends AutoCloseable> T closeLater(T resource) {
        cleanup.add(resource);
        return resource;
    }

    private Gateway gateway(Map<String, String> settings) throws Exception {
        return closeLater(TestGateway.start(List.of(topic), settings));
    }

    /** A node in a process of its own (one the test can kill or stop), anonymous, with {@code flags} added. */
    private GatewayProcess nodeProcess(String... flags) throws Exception {
        List<String> all = new ArrayList<>(List.of("--auth-anonymous", "true"));
        all.addAll(List.of(flags));
        return closeLater(GatewayProcess.start(TestKafka.bootstrapServers(), topic, all.toArray(String[]::new)));
    }

    private FanwireClient client(List<URI> urls, Format format, Consumer<FanwireClient.Builder> options) {
        FanwireClient.Builder builder = FanwireClient.builder(urls.stream().map(URI::toString).toList())
                .format(format);
        options.accept(builder);
        return closeLater(builder.build());
    }

    private FanwireClient client(URI url, Format format) {
        return client(List.of(url), format, b -> { });
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    // ------------------------------------------------------------------ delivery

    @Test
    void liveDeliveryInOrderPerKeyOnBothSubprotocols() throws Exception {
        TestKafka.createTopic(topic, 4);
        Gateway node = gateway(Map.of());
        Recorder json = new Recorder();
        Recorder proto = new Recorder();
        Recorder oneKey = new Recorder();
        FanwireClient jsonClient = client(TestGateway.wsUri(node), Format.JSON);
        FanwireClient protoClient = client(TestGateway.wsUri(node), Format.PROTO);
        Subscription sub = jsonClient.subscribe(topic, json);
        protoClient.subscribe(topic, proto);
        protoClient.subscribe(topic + "/k3", oneKey);
        BlockingSubscription blocking = jsonClient.subscribeBlocking(topic + "/k5", SubscribeOptions.DEFAULT);
        for (Subscription s : List.of(sub, blocking.subscription())) {
            s.ready().get(20, TimeUnit.SECONDS);
        }
        protoClient.subscriptions().values().forEach(s -> s.ready().join());
        assertEquals(4, sub.positions().size(), "Subscribed gives a position per partition: " + sub.positions());

        try (SequenceProducer producer = new SequenceProducer(topic, 12)) {
            producer.send(240);
            Map<String, Integer> sent = producer.sent();
            json.awaitReceived(240);
            proto.awaitReceived(240);
            oneKey.awaitReceived(20);
            assertNull(json.log.verdict(sent));
            assertNull(proto.log.verdict(sent));
            assertNull(oneKey.log.verdict(Map.of("k3", 20)));
            for (int seq = 0; seq < 20; seq++) {
                FanwireMessage m = blocking.poll(Duration.ofSeconds(10));
                assertNotNull(m, "the blocking subscription's record " + seq);
                assertEquals("k5:" + seq, m.payloadString());
                assertEquals("k5", m.key());
                assertEquals(topic + "/k5", m.channel());
                assertTrue(m.timestamp() > 0);
                assertFalse(m.snapshot());
                assertNull(m.data(), "k5:0 is not JSON");
            }
        }
        FanwireMessage first = json.messages.get(0);
        assertEquals(first.partition(), json.messages.stream().filter(m -> first.key().equals(m.key())).findAny()
                .orElseThrow().partition());
        // The positions are those of the last records: what a later resume would start after.
        Map<Integer, Long> last = new HashMap<>();
        json.messages.forEach(m -> last.merge(m.partition(), m.offset(), Math::max));
        last.forEach((p, o) -> assertEquals(o, sub.positions().get(p)));
        assertEquals(0, sub.duplicatesDiscarded());
        blocking.close();
        assertThrows(FanwireException.class, () -> {
            while (true) {
                blocking.take();
            }
        }, "after the unsubscribe, take ends with an exception once the queue is empty");
    }

    @Test
    void aJsonTopicsValuesArriveAsDataOnBothSubprotocols() throws Exception {
        TestKafka.createTopic(topic, 1);
        Gateway node = gateway(Map.of("payload.formats", topic + "=json"));
        Recorder json = new Recorder();
        Recorder proto = new Recorder();
        client(TestGateway.wsUri(node), Format.JSON).subscribe(topic, json).ready().get(20, TimeUnit.SECONDS);
        client(TestGateway.wsUri(node), Format.PROTO).subscribe(topic, proto).ready().get(20, TimeUnit.SECONDS);
        String quote = "{\"symbol\":\"AAPL\",\"bid\":189.5}";
        TestKafka.produce(topic, "AAPL", quote);
        TestKafka.produce(topic, "AAPL", "not json");
        json.awaitMessages(2);
        proto.awaitMessages(2);
        for (Recorder r : List.of(json, proto)) {
            FanwireMessage m = r.messages.get(0);
            assertEquals(189.5, m.dataValue().getStructValue().getFieldsOrThrow("bid").getNumberValue(), 0.0);
            assertTrue(m.data().contains("\"symbol\""), m.data());
            assertTrue(m.payloadString().contains("AAPL"), m.payloadString());
            FanwireMessage notJson = r.messages.get(1);
            assertNull(notJson.data(), "a value that is not JSON has no data");
            assertEquals("not json", notJson.payloadString());
        }
    }

    // ------------------------------------------------------------------ faults

    @Test
    void aNodeKilledMidStreamIsReplacedByTheOtherWithEveryRecordOnce() throws Exception {
        TestKafka.createTopic(topic, 4);
        GatewayProcess a = nodeProcess();
        Gateway b = gateway(Map.of("history.partition.max.bytes", "2048"));
        a.awaitReady();
        List<URI> nodes = List.of(a.wsUri(), TestGateway.wsUri(b));
        Recorder json = new Recorder();
        Recorder proto = new Recorder();
        Recorder oneKey = new Recorder();
        FanwireClient c1 = client(nodes, Format.JSON, x -> { });
        FanwireClient c2 = client(nodes, Format.PROTO, x -> { });
        c1.subscribe(topic, json).ready().get(20, TimeUnit.SECONDS);
        c2.subscribe(topic, proto).ready().get(20, TimeUnit.SECONDS);
        c2.subscribe(topic + "/k7", oneKey).ready().get(20, TimeUnit.SECONDS);
        try (SequenceProducer producer = new SequenceProducer(topic, 12)) {
            producer.start(300);
            json.awaitReceived(60);
            a.kill();
            TestGateway.await("both clients on B", () -> c1.stats().connections() == 2
                    && c2.stats().connections() == 2 && c1.state() == ClientState.OPEN);
            int now = json.received();
            json.awaitReceived(now + 60);
            producer.stop();
            Map<String, Integer> sent = producer.sent();
            int total = sent.values().stream().mapToInt(Integer::intValue).sum();
            try {
                json.awaitReceived(total);
                proto.awaitReceived(total);
                oneKey.awaitReceived(sent.get("k7"));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n" + c1 + " " + c1.subscriptions() + "\n" + c2 + " "
                        + c2.subscriptions(), e);
            }
            assertNull(json.log.verdict(sent), json.toString());
            assertNull(proto.log.verdict(sent), proto.toString());
            assertNull(oneKey.log.verdict(Map.of("k7", sent.get("k7"))), oneKey.toString());
            assertTrue(json.gaps.isEmpty() && proto.gaps.isEmpty(), "no gaps");
        }
        assertTrue(c1.stats().failures() <= 3, "reconnected without a storm of attempts: " + c1.stats());
    }

    @Test
    void aRollingDrainMovesClientsWithTheGoAwayPositions() throws Exception {
        TestKafka.createTopic(topic, 4);
        GatewayProcess a = nodeProcess("--drain-grace-ms", "5000");
        Gateway b = gateway(Map.of());
        a.awaitReady();
        List<URI> nodes = List.of(a.wsUri(), TestGateway.wsUri(b));
        Recorder json = new Recorder();
        Recorder proto = new Recorder();
        FanwireClient c1 = client(nodes, Format.JSON, x -> { });
        FanwireClient c2 = client(nodes, Format.PROTO, x -> { });
        c1.subscribe(topic, json).ready().get(20, TimeUnit.SECONDS);
        c2.subscribe(topic, proto).ready().get(20, TimeUnit.SECONDS);
        try (SequenceProducer producer = new SequenceProducer(topic, 12)) {
            producer.start(300);
            json.awaitReceived(60);
            long drainStarted = System.nanoTime();
            a.terminate(); // SIGTERM: GoAway to every client, then close 1001 after the grace
            TestGateway.await("both clients on B", () -> c1.stats().connections() == 2
                    && c2.stats().connections() == 2 && json.subscribedAgain() && proto.subscribedAgain());
            long movedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainStarted);
            assertEquals(0, a.awaitExit(20));
            int now = json.received();
            json.awaitReceived(now + 60);
            producer.stop();
            Map<String, Integer> sent = producer.sent();
            int total = sent.values().stream().mapToInt(Integer::intValue).sum();
            try {
                json.awaitReceived(total);
                proto.awaitReceived(total);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\n" + c1 + " " + c1.subscriptions() + "\n" + c2 + " "
                        + c2.subscriptions(), e);
            }
            assertNull(json.log.verdict(sent), json.toString());
            assertNull(proto.log.verdict(sent), proto.toString());
            assertEquals(1, c1.stats().goAways());
            assertEquals(0, c1.stats().failures(), "a GoAway reconnects at once, not after a failure: " + c1.stats());
            assertTrue(movedMs < 5000, "moved within the drain grace, not at its close: " + movedMs + " ms");
        }
    }

    @Test
    void aResumePastRetentionGetsAGapThenTheRecordsThatRemain() throws Exception {
        TestKafka.createTopic(topic, 1);
        int port = freePort();
        Map<String, String> onPort = Map.of("port", String.valueOf(port));
        Gateway first = gateway(onPort);
        Recorder recorder = new Recorder();
        FanwireClient client = client(List.of(TestGateway.wsUri(first)), Format.JSON,
                b -> b.backoff(BASE, CAP));
        Subscription sub = client.subscribe(topic, recorder);
        sub.ready().get(20, TimeUnit.SECONDS);
        for (int i = 0; i < 10; i++) {
            TestKafka.produce(topic, "k", "k:" + i);
        }
        recorder.awaitReceived(10);
        assertEquals(9L, sub.positions().get(0));

        first.close(); // drains: GoAway with positions; the client keeps trying the same URL
        for (int i = 10; i < 30; i++) {
            TestKafka.produce(topic, "k", "k:" + i);
        }
        deleteRecordsBefore(topic, 0, 20);
        TestGateway.await("the client is trying to reconnect", () -> sub.state() == SubscriptionState.RESUMING);
        gateway(onPort);
        TestGateway.await("records 20..29", () -> recorder.received() == 20);
        assertEquals(List.of(new Gap(topic, 0, 10, 19, "retention: Kafka no longer has these offsets")),
                recorder.gaps);
        assertEquals(20, recorder.messages.get(10).offset());
        assertEquals(29L, sub.positions().get(0));
        assertEquals(1, sub.gaps());
    }

    @Test
    void aSnapshotThenLiveWithNoSeamAndAResumeInsteadOfASecondSnapshot() throws Exception {
        TestKafka.createTopic(topic, 2);
        int port = freePort();
        Map<String, String> settings = Map.of("snapshot.topics", topic, "port", String.valueOf(port));
        try (SequenceProducer producer = new SequenceProducer(topic, 4)) {
            producer.send(20); // k0..k3 at seq 0..4
            Gateway first = gateway(settings);
            List<FanwireMessage> received = new CopyOnWriteArrayList<>();
            FanwireClient client = client(List.of(TestGateway.wsUri(first)), Format.PROTO, b -> b.backoff(BASE, CAP));
            Subscription sub = client.subscribe(topic, SubscribeOptions.builder().snapshot(true).build(),
                    received::add);
            sub.ready().get(20, TimeUnit.SECONDS);
            TestGateway.await("four snapshot values", () -> received.size() == 4);
            for (FanwireMessage m : received) {
                assertTrue(m.snapshot(), m.toString());
                assertEquals(m.key() + ":4", m.payloadString(), "the last value of each key");
            }
            producer.send(20); // seq 5..9
            TestGateway.await("the live records " + received, () -> received.size() >= 24);
            Map<String, Integer> next = new HashMap<>();
            for (FanwireMessage m : received) {
                int seq = Integer.parseInt(m.payloadString().split(":")[1]);
                int expected = next.getOrDefault(m.key(), 4);
                assertEquals(expected, seq, "no seam between the snapshot and live for " + m.key());
                assertEquals(seq == 4, m.snapshot());
                next.put(m.key(), seq + 1);
            }

            first.close();
            producer.send(20); // seq 10..14, while no node serves the client
            gateway(settings);
            TestGateway.await("the resumed records", () -> received.size() == 44);
            for (FanwireMessage m : received.subList(24, 44)) {
                assertFalse(m.snapshot(), "a reconnect resumes, it does not ask a snapshot again: " + m);
                int seq = Integer.parseInt(m.payloadString().split(":")[1]);
                assertEquals((int) next.get(m.key()), seq, m.toString());
                next.put(m.key(), seq + 1);
            }
            assertEquals(2, client.stats().connections());
        }
    }

    @Test
    void aTokenThatExpiresIsRefreshedAndTheConnectionStays() throws Exception {
        TestKafka.createTopic(topic, 2);
        Gateway node = gateway(Map.of("auth.anonymous", "false", "auth.hs256.secret", TestTokens.SECRET));
        AtomicInteger tokens = new AtomicInteger();
        List<FanwireException> errors = new CopyOnWriteArrayList<>();
        Recorder recorder = new Recorder();
        FanwireClient client = client(List.of(TestGateway.wsUri(node)), Format.JSON, b -> b
                .token(() -> {
                    tokens.incrementAndGet();
                    return TestTokens.hs256("alice", Duration.ofSeconds(4), Map.of());
                })
                .onError(errors::add));
        client.subscribe(topic, recorder).ready().get(20, TimeUnit.SECONDS);
        try (SequenceProducer producer = new SequenceProducer(topic, 6)) {
            producer.start(50);
            Thread.sleep(9_000); // past two lifetimes of the first token
            producer.stop();
            int total = producer.sent().values().stream().mapToInt(Integer::intValue).sum();
            recorder.awaitReceived(total);
            assertNull(recorder.log.verdict(producer.sent()));
        }
        assertEquals(1, client.stats().connections(), "no 4001, no reconnect: " + errors);
        assertEquals(0, client.stats().goAways());
        assertTrue(client.stats().refreshes() >= 2, client.stats().toString());
        assertTrue(tokens.get() >= 3, "the supplier was asked again before exp: " + tokens.get());
        assertTrue(errors.isEmpty(), errors.toString());
    }

    @Test
    void aRefusedRefreshMakesTheClientReconnectWithAFreshToken() throws Exception {
        TestKafka.createTopic(topic, 1);
        Gateway node = gateway(Map.of("auth.anonymous", "false", "auth.hs256.secret", TestTokens.SECRET));
        AtomicInteger tokens = new AtomicInteger();
        List<FanwireException> errors = new CopyOnWriteArrayList<>();
        Recorder recorder = new Recorder();
        // The second token (the first refresh) names another subject: FORBIDDEN. Then alice again.
        FanwireClient client = client(List.of(TestGateway.wsUri(node)), Format.PROTO, b -> b
                .backoff(BASE, CAP)
                .token(() -> TestTokens.hs256(tokens.incrementAndGet() == 2 ? "bob" : "alice",
                        Duration.ofSeconds(4), Map.of()))
                .onError(errors::add));
        client.subscribe(topic, recorder).ready().get(20, TimeUnit.SECONDS);
        TestKafka.produce(topic, "k", "k:0");
        recorder.awaitReceived(1);
        TestGateway.await("a second connection", () -> client.stats().connections() == 2
                && recorder.subscribedAgain());
        TestKafka.produce(topic, "k", "k:1");
        recorder.awaitReceived(2);
        AuthenticationException refused = (AuthenticationException) errors.stream()
                .filter(e -> e instanceof AuthenticationException).findFirst().orElseThrow(() ->
                        new AssertionError("no authentication error in " + errors));
        assertEquals("FORBIDDEN", refused.code());
        assertTrue(tokens.get() >= 3, "a token per connection and per refresh: " + tokens.get());
        assertNull(recorder.log.verdict(Map.of("k", 2)));
    }

    @Test
    void aNodeThatStopsAnsweringIsReplacedByTheLivenessCheck() throws Exception {
        TestKafka.createTopic(topic, 2);
        GatewayProcess a = nodeProcess();
        Gateway b = gateway(Map.of());
        a.awaitReady();
        List<FanwireException> errors = new CopyOnWriteArrayList<>();
        Recorder recorder = new Recorder();
        FanwireClient client = client(List.of(a.wsUri(), TestGateway.wsUri(b)), Format.PROTO, o -> o
                .pingInterval(Duration.ofMillis(500)).pingTimeout(Duration.ofMillis(1000)).onError(errors::add));
        client.subscribe(topic, recorder).ready().get(20, TimeUnit.SECONDS);
        try (SequenceProducer producer = new SequenceProducer(topic, 6)) {
            producer.start(100);
            recorder.awaitReceived(30);
            a.stop(); // SIGSTOP: the TCP connection stays, nothing answers
            long stopped = System.nanoTime();
            TestGateway.await("replaced by a connection to B", () -> client.stats().connections() == 2
                    && recorder.subscribedAgain());
            long replacedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
            int now = recorder.received();
            recorder.awaitReceived(now + 30);
            producer.stop();
            int total = producer.sent().values().stream().mapToInt(Integer::intValue).sum();
            recorder.awaitReceived(total);
            assertNull(recorder.log.verdict(producer.sent()), recorder.toString());
            assertEquals(1, client.stats().livenessDrops());
            assertTrue(errors.stream().anyMatch(e -> e.code().equals("LIVENESS")), errors.toString());
            assertTrue(replacedMs < 5000, "interval + timeout + backoff, not the OS's TCP timeout: " + replacedMs);
        } finally {
            a.kill();
        }
    }

    // ------------------------------------------------------------------ requests

    @Test
    void publishCompletesOnOkAndFailsWithTheGatewaysCode() throws Exception {
        TestKafka.createTopic(topic, 2);
        Gateway node = gateway(Map.of("publish.enabled", "true",
                "auth.rules", "any " + topic + "/secret nobody; any * anyone"));
        Recorder recorder = new Recorder();
        FanwireClient client = client(TestGateway.wsUri(node), Format.JSON);
        client.subscribe(topic, recorder).ready().get(20, TimeUnit.SECONDS);

        client.publish(topic + "/alice", "{\"qty\":1}".getBytes(StandardCharsets.UTF_8), Map.of("trace-id", "abc"))
                .get(20, TimeUnit.SECONDS);
        recorder.awaitMessages(1);
        FanwireMessage m = recorder.messages.get(0);
        assertEquals("alice", m.key());
        assertEquals(Map.of("trace-id", "abc"), m.headers());
        assertEquals("{\"qty\":1}", m.data(), "a JSON payload has data");

        ExecutionException forbidden = assertThrows(ExecutionException.class,
                () -> client.publish(topic + "/secret", "x").get(20, TimeUnit.SECONDS));
        assertEquals("FORBIDDEN", assertInstanceOf(RequestRefusedException.class, forbidden.getCause()).code());
        ExecutionException notFound = assertThrows(ExecutionException.class,
                () -> client.publish("no-such-topic/x", "x").get(20, TimeUnit.SECONDS));
        assertEquals("NOT_FOUND", ((FanwireException) notFound.getCause()).code());
        assertEquals(ClientState.OPEN, client.state(), "a refused request does not close the connection");

        client.close();
        ExecutionException closed = assertThrows(ExecutionException.class,
                () -> client.publish(topic + "/alice", "x").get(20, TimeUnit.SECONDS));
        assertEquals("CLOSED", assertInstanceOf(NotConnectedException.class, closed.getCause()).code());

        Gateway disabled = gateway(Map.of());
        FanwireClient other = client(TestGateway.wsUri(disabled), Format.PROTO);
        ExecutionException off = assertThrows(ExecutionException.class,
                () -> other.publish(topic + "/alice", "x").get(20, TimeUnit.SECONDS));
        assertEquals("FORBIDDEN", ((FanwireException) off.getCause()).code(), "publish.enabled=false");
    }

    @Test
    void aForbiddenSubscribeFailsWithItsCodeAndIsNotRetried() throws Exception {
        TestKafka.createTopic(topic, 1);
        Gateway node = gateway(Map.of("auth.rules", "any " + topic + "/secret nobody; any * anyone"));
        List<FanwireException> errors = new CopyOnWriteArrayList<>();
        FanwireClient client = client(List.of(TestGateway.wsUri(node)), Format.JSON, b -> b.onError(errors::add));
        Recorder open = new Recorder();
        Recorder refused = new Recorder();
        Subscription allowed = client.subscribe(topic + "/public", open);
        Subscription secret = client.subscribe(topic + "/secret", refused);
        ExecutionException e = assertThrows(ExecutionException.class, () -> secret.ready().get(20, TimeUnit.SECONDS));
        assertEquals("FORBIDDEN", assertInstanceOf(RequestRefusedException.class, e.getCause()).code());
        assertEquals(SubscriptionState.FAILED, secret.state());
        assertEquals("FORBIDDEN", refused.errors.get(0).code());
        allowed.ready().get(20, TimeUnit.SECONDS);
        Subscription notFound = client.subscribe("no-such-topic", new Recorder());
        ExecutionException missing = assertThrows(ExecutionException.class,
                () -> notFound.ready().get(20, TimeUnit.SECONDS));
        assertEquals("NOT_FOUND", ((FanwireException) missing.getCause()).code());

        TestKafka.produce(topic, "public", "public:0");
        open.awaitReceived(1);
        Thread.sleep(500);
        assertEquals(1, client.stats().connections(), "the connection stays");
        assertEquals(SubscriptionState.FAILED, secret.state(), "not retried");
        assertEquals(2, errors.stream().filter(x -> x instanceof RequestRefusedException).count(), errors.toString());
        assertFalse(client.subscriptions().containsKey(topic + "/secret"));
    }

    @Test
    void maxRateIsPassedThrough() throws Exception {
        TestKafka.createTopic(topic, 1);
        Gateway node = gateway(Map.of());
        List<FanwireMessage> limited = new CopyOnWriteArrayList<>();
        Recorder all = new Recorder();
        FanwireClient client = client(TestGateway.wsUri(node), Format.PROTO);
        client.subscribe(topic + "/k0", SubscribeOptions.builder().maxRate(2).build(), limited::add)
                .ready().get(20, TimeUnit.SECONDS);
        client.subscribe(topic + "/k1", all).ready().get(20, TimeUnit.SECONDS);
        try (SequenceProducer producer = new SequenceProducer(topic, 2)) {
            producer.send(200); // 100 per key, at once
        }
        all.awaitReceived(100);
        TestGateway.await("the latest value of k0", () -> !limited.isEmpty()
                && limited.get(limited.size() - 1).payloadString().equals("k0:99"));
        assertTrue(limited.size() <= 4, "at most 2/s per key, the latest last: " + limited.size() + " " + limited);
    }

    @Test
    void maxRateOnAWholeTopicHandsOnEveryKeysLatestValue() throws Exception {
        TestKafka.createTopic(topic, 1);
        Gateway node = gateway(Map.of());
        LatestValues latest = new LatestValues();
        FanwireClient client = client(TestGateway.wsUri(node), Format.PROTO);
        client.subscribe(topic, SubscribeOptions.builder().maxRate(1).build(), latest)
                .ready().get(20, TimeUnit.SECONDS);
        // One partition. Round a: k0..k3 go out at once and take their keys' slots for a second. Round b: k0..k3
        // wait for their slots while k4..k7, whose slots are free, go out at once with higher offsets.
        produceRound("a", 4);
        produceRound("b", 8);
        latest.assertLatest(round("b", 8));
    }

    @Test
    void maxRateRecordsHeldByAKilledNodeComeFromTheOther() throws Exception {
        TestKafka.createTopic(topic, 1);
        GatewayProcess a = nodeProcess();
        Gateway b = gateway(Map.of());
        a.awaitReady();
        LatestValues latest = new LatestValues();
        FanwireClient client = client(List.of(a.wsUri(), TestGateway.wsUri(b)), Format.JSON, x -> { });
        client.subscribe(topic, SubscribeOptions.builder().maxRate(1).build(), latest)
                .ready().get(20, TimeUnit.SECONDS);
        produceRound("w", 8); // offsets 0..7, each key's first record: out at once
        TestGateway.await("the first round", () -> latest.values().equals(round("w", 8)));
        // Longer than the client's lag (1 s slot + 1 s margin): it need not resume before offset 7.
        TestGateway.pause(Duration.ofMillis(2500));
        produceRound("a", 4); // 8..11 out at once; k0..k3's slots are taken for a second
        produceRound("b", 8); // 12..15 (k0..k3) wait for their slots, 16..19 (k4..k7) go out at once
        TestGateway.await("k4..k7's round b", () -> latest.values().get("k7").equals("k7:b"));
        assertEquals("k0:a", latest.values().get("k0"), "k0's latest value is still held by the node to be killed");
        a.kill();
        latest.assertLatest(round("b", 8));
        assertEquals(2, client.stats().connections());
    }

    @Test
    void unsubscribeStopsDeliveryAndForgetsThePositions() throws Exception {
        TestKafka.createTopic(topic, 1);
        Gateway node = gateway(Map.of());
        Recorder recorder = new Recorder();
        FanwireClient client = client(TestGateway.wsUri(node), Format.JSON);
        Subscription sub = client.subscribe(topic, recorder);
        sub.ready().get(20, TimeUnit.SECONDS);
        TestKafka.produce(topic, "k", "k:0");
        recorder.awaitReceived(1);
        sub.unsubscribe().get(20, TimeUnit.SECONDS);
        assertEquals(SubscriptionState.CLOSED, sub.state());
        assertTrue(sub.positions().isEmpty());
        assertTrue(client.subscriptions().isEmpty());
        TestKafka.produce(topic, "k", "k:1");
        // A live subscribe starts after what the node has read: wait until it has read k:1 (PROTOCOL.md §4 rule 4).
        TestGateway.await("the node read k:1", () -> TestGateway.metric(node, "fanwire_records_consumed_total") >= 2);
        Recorder again = new Recorder();
        client.subscribe(topic + "/k", again).ready().get(20, TimeUnit.SECONDS);
        TestKafka.produce(topic, "k", "k:2");
        again.awaitMessages(1);
        Thread.sleep(300);
        assertEquals(1, recorder.received(), "nothing after the unsubscribe");
        assertEquals("k:2", again.messages.get(0).payloadString());
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void aBadUrlIsATypedErrorAtConstruction() {
        for (String bad : List.of("http://127.0.0.1:8080/ws", "not a url", "ws:///ws", "ws://host/ws#frag", "")) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> FanwireClient.builder(bad), bad);
            assertEquals("BAD_URL", e.code());
        }
        assertThrows(ProtocolException.class, () -> FanwireClient.builder(List.of()).build());
    }

    @Test
    void a401IsAnAuthErrorAndAttemptsKeepToTheBackoff() throws Exception {
        TestKafka.createTopic(topic, 1);
        Gateway node = gateway(Map.of("auth.anonymous", "false", "auth.hs256.secret", TestTokens.SECRET));
        List<Long> calls = new CopyOnWriteArrayList<>();
        List<FanwireException> errors = new CopyOnWriteArrayList<>();
        FanwireClient client = client(List.of(TestGateway.wsUri(node)), Format.JSON, b -> b
                .backoff(BASE, CAP)
                .token(() -> {
                    calls.add(System.nanoTime());
                    return "not-a-token";
                })
                .onError(errors::add));
        Subscription sub = client.subscribe(topic, new Recorder());
        Thread.sleep(3000);
        client.close();
        AuthenticationException auth = assertInstanceOf(AuthenticationException.class, errors.get(0));
        assertEquals(401, auth.httpStatus());
        assertEquals("UNAUTHENTICATED", auth.code());
        assertEquals(0, client.stats().connections());
        assertFalse(sub.ready().isDone() && !sub.ready().isCompletedExceptionally());
        assertKeepsToTheBackoff(calls, "token supplier calls");
    }

    @Test
    void aRefusedOriginIsAProtocolErrorWithItsStatus() throws Exception {
        TestKafka.createTopic(topic, 1);
        Gateway node = gateway(Map.of("ws.allowed.origins", "https://app.example"));
        List<FanwireException> errors = new CopyOnWriteArrayList<>();
        FanwireClient refused = client(List.of(TestGateway.wsUri(node)), Format.JSON, b -> b.backoff(BASE, CAP)
                .header("Origin", "https://elsewhere.example").onError(errors::add));
        FanwireClient allowed = client(List.of(TestGateway.wsUri(node)), Format.JSON,
                b -> b.header("Origin", "https://app.example"));
        TestGateway.await("the refusal", () -> !errors.isEmpty());
        ProtocolException e = assertInstanceOf(ProtocolException.class, errors.get(0), errors.toString());
        assertEquals("HANDSHAKE_FAILED", e.code());
        assertEquals(403, e.httpStatus());
        allowed.subscribe(topic, new Recorder()).ready().get(20, TimeUnit.SECONDS);
        assertEquals(0, refused.stats().connections());
    }

    @Test
    void anUnknownSubprotocolIsAProtocolErrorAndAttemptsKeepToTheBackoff() throws Exception {
        List<Long> accepted = new CopyOnWriteArrayList<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        closeLater(() -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync());
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.add(System.nanoTime());
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                new OtherSubprotocolServer());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        closeLater(() -> server.close().sync());
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        List<FanwireException> errors = new CopyOnWriteArrayList<>();
        FanwireClient client = client(List.of(URI.create("ws://127.0.0.1:" + port + "/ws")), Format.PROTO,
                b -> b.backoff(BASE, CAP).onError(errors::add));
        Thread.sleep(3000);
        client.close();
        ProtocolException e = assertInstanceOf(ProtocolException.class, errors.get(0), errors.toString());
        assertEquals("UNKNOWN_SUBPROTOCOL", e.code());
        assertEquals(0, client.stats().connections());
        assertKeepsToTheBackoff(accepted, "connections");
    }

    /** A WebSocket server that upgrades every request, selecting the subprotocol {@code chat}. */
    private static final class OtherSubprotocolServer extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws Exception {
            String key = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(
                    (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.SWITCHING_PROTOCOLS);
            response.headers().set(HttpHeaderNames.UPGRADE, "websocket").set(HttpHeaderNames.CONNECTION, "Upgrade")
                    .set(HttpHeaderNames.SEC_WEBSOCKET_ACCEPT, accept)
                    .set(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, "chat");
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }

    /**
     * Attempts at these moments keep to the backoff of {@link #BASE}..{@link #CAP} (each wait at least half its
     * nominal delay): several in three seconds, but far from a loop.
     */
    private static void assertKeepsToTheBackoff(List<Long> moments, String what) {
        assertTrue(moments.size() >= 3, "retried: " + moments.size() + " " + what);
        assertTrue(moments.size() <= 10, "no faster than the backoff: " + moments.size() + " " + what);
        for (int i = 1; i < moments.size(); i++) {
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(moments.get(i) - moments.get(i - 1));
            long nominal = Math.min(CAP.toMillis(), BASE.toMillis() << Math.min(i - 1, 20));
            assertTrue(waitedMs >= nominal / 2 - 20, what + " " + i + " came " + waitedMs + " ms after the one "
                    + "before; the backoff allows no less than " + nominal / 2);
        }
    }

    /** Produces {@code KEY:ROUND} for the keys k0 to k(keys - 1), in that order, one after the other. */
    private void produceRound(String round, int keys) {
        for (int i = 0; i < keys; i++) {
            TestKafka.produce(topic, "k" + i, "k" + i + ":" + round);
        }
    }

    /** Key to latest value once {@link #produceRound produceRound(round, keys)} has arrived. */
    private static Map<String, String> round(String round, int keys) {
        Map<String, String> values = new TreeMap<>();
        for (int i = 0; i < keys; i++) {
            values.put("k" + i, "k" + i + ":" + round);
        }
        return values;
    }

    private static void deleteRecordsBefore(String topic, int partition, long offset) throws Exception {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            admin.deleteRecords(Map.of(new TopicPartition(topic, partition), RecordsToDelete.beforeOffset(offset)))
                    .all().get(20, TimeUnit.SECONDS);
        }
    }

    /**
     * For a {@code max_rate} subscription, which skips values: keeps what it is given, and checks that no record
     * came twice and no key went back to an older offset.
     */
    private static final class LatestValues implements SubscriptionListener {
        final List<FanwireMessage> messages = new CopyOnWriteArrayList<>();

        @Override
        public void onMessage(FanwireMessage message) {
            messages.add(message);
        }

        /** Key to the payload of its last message. */
        Map<String, String> values() {
            Map<String, String> values = new TreeMap<>();
            messages.forEach(m -> values.put(m.key(), m.payloadString()));
            return values;
        }

        void assertLatest(Map<String, String> expected) throws InterruptedException {
            try {
                TestGateway.await("every key's latest value", () -> values().equals(expected));
            } catch (AssertionError e) {
                assertEquals(expected, values(), "every key's latest value reached the application: " + messages);
            }
            Map<String, Long> offsets = new HashMap<>();
            for (FanwireMessage m : messages) {
                Long before = offsets.put(m.key(), m.offset());
                assertTrue(before == null || before < m.offset(), "handed twice, or older after newer: " + m
                        + " after offset " + before + " in " + messages);
            }
        }
    }

    /** A listener that checks what it is given with a strict log and keeps it. */
    private static final class Recorder implements SubscriptionListener {
        final SequenceLog log = SequenceLog.strict();
        final List<FanwireMessage> messages = new CopyOnWriteArrayList<>();
        final List<Gap> gaps = new CopyOnWriteArrayList<>();
        final List<FanwireException> errors = new CopyOnWriteArrayList<>();
        final List<SubscriptionState> states = new CopyOnWriteArrayList<>();

        @Override
        public void onMessage(FanwireMessage message) {
            messages.add(message);
            if (message.payloadString().matches("[^:]+:\\d+")) {
                synchronized (log) {
                    log.accept(message.partition(), message.offset(), message.payloadString());
                }
            }
        }

        @Override
        public void onGap(Gap gap) {
            gaps.add(gap);
        }

        @Override
        public void onError(FanwireException error) {
            errors.add(error);
        }

        @Override
        public void onStateChange(SubscriptionState state) {
            states.add(state);
        }

        /** Active again after having been resuming. */
        boolean subscribedAgain() {
            int resuming = states.indexOf(SubscriptionState.RESUMING);
            return resuming >= 0 && states.subList(resuming, states.size()).contains(SubscriptionState.ACTIVE);
        }

        int received() {
            synchronized (log) {
                return log.received();
            }
        }

        void awaitReceived(int n) throws InterruptedException {
            try {
                TestGateway.await(n + " records", () -> received() >= n);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + ": " + this, e);
            }
        }

        void awaitMessages(int n) throws InterruptedException {
            TestGateway.await(n + " messages", () -> messages.size() >= n);
        }

        @Override
        public String toString() {
            return "received " + received() + ", states " + states + ", gaps " + gaps + ", errors " + errors + ", "
                    + log.breaks();
        }
    }
}
