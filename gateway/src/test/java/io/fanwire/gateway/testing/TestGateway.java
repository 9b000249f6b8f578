package io.fanwire.gateway.testing;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.config.GatewayConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Starts a real {@link Gateway} on loopback port 0 (WebSocket and admin) against the shared test broker,
 * and waits until it is ready.
 */
public final class TestGateway {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private TestGateway() {
    }

    /** The settings every test gateway uses, before {@code overrides}. */
    public static Map<String, String> settings(List<String> topics) {
        Map<String, String> raw = new HashMap<>();
        raw.put("dev", "false");
        raw.put("kafka.bootstrap.servers", TestKafka.bootstrapServers());
        raw.put("topics", String.join(",", topics));
        raw.put("port", "0");
        raw.put("admin.port", "0");
        raw.put("bind.address", "127.0.0.1");
        raw.put("admin.bind.address", "127.0.0.1");
        raw.put("io.threads", "2");
        // Production mode refuses clients without a token; tests that are not about tokens opt out.
        raw.put("auth.anonymous", "true");
        // Test clients do not act on a GoAway: do not let a drain wait the production default for them.
        raw.put("drain.grace.ms", "1000");
        return raw;
    }

    /** Creates the topics (one partition each unless already there) and starts a ready gateway. */
    public static Gateway start(List<String> topics, Map<String, String> overrides) throws Exception {
        Map<String, String> raw = settings(topics);
        raw.putAll(overrides);
        Gateway gateway = Gateway.start(GatewayConfig.from(raw));
        try {
            await("gateway ready", gateway::ready);
        } catch (AssertionError e) {
            gateway.close();
            throw e;
        }
        return gateway;
    }

    /** Waits until {@code gateway} accepts WebSocket clients (it may not be ready: a served topic may be missing). */
    public static Gateway awaitServing(Gateway gateway) throws InterruptedException {
        try {
            await("gateway serving", gateway::serving);
        } catch (AssertionError e) {
            gateway.close();
            throw e;
        }
        return gateway;
    }

    public static Gateway start(List<String> topics) throws Exception {
        return start(topics, Map.of());
    }

    public static URI wsUri(Gateway gateway) {
        return URI.create("ws://127.0.0.1:" + gateway.port() + "/ws");
    }

    /** GET on the admin port. */
    public static HttpResponse<String> admin(Gateway gateway, String path) throws Exception {
        return get(URI.create("http://127.0.0.1:" + gateway.adminPort() + path));
    }

    public static HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(WsTestClient.WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The value of an unlabelled metric in {@code /metrics}' rendering; fails if there is no such metric. */
    public static long metric(Gateway gateway, String name) {
        return metric(gateway.metrics().render(), name);
    }

    /** The value of an unlabelled metric in {@code rendered}, a {@code /metrics} body; fails if there is none. */
    public static long metric(String rendered, String name) {
        for (String line : rendered.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Long.parseLong(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name);
    }

    /** Polls {@code condition} every 20 ms until true; fails after {@link WsTestClient#WAIT}. */
    public static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WsTestClient.WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    /** Waits {@code duration}; for the few places where the absence of something is the point. */
    public static void pause(Duration duration) throws InterruptedException {
        Thread.sleep(duration.toMillis());
    }
}
