package io.fanwire.loadtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real target for the smoke runs, started by the test on loopback ports the system picks (never dev
 * mode's 8080 and 9092, which may be in use): one Kafka broker ({@code DevKafka} from
 * {@code dev/target/fanwire-dev.jar}, driven by stdin lines) and gateway nodes in production mode
 * ({@code gateway/target/fanwire.jar}), with an HS256 secret, publishing on, {@code quotes} as a snapshot
 * topic. Every child is killed on {@link #close}, and dies by itself if this JVM does (the broker reads its
 * stdin; the nodes are destroyed by a shutdown hook).
 *
 * <p>Threads: the test thread calls every method; one daemon thread per child copies its output.
 */
final class LocalTarget implements AutoCloseable {

    static final String SECRET = "fanwire-loadtest-smoke-secret-0123456789";
    static final String TOPICS = "trades,quotes,inbox";

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern WS_PORT = Pattern.compile("WebSocket listener on /127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN_PORT = Pattern.compile("admin listener on /127\\.0\\.0\\.1:(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final List<Process> children = new ArrayList<>();
    private final List<URI> nodes = new ArrayList<>();
    private Process broker;
    private Writer brokerIn;
    private final BlockingQueue<String> brokerAnswers = new ArrayBlockingQueue<>(64);
    private String bootstrap;

    /** Starts the broker, creates the topics and starts {@code nodeCount} nodes; returns when all are ready. */
    static LocalTarget start(int nodeCount) throws Exception {
        LocalTarget target = new LocalTarget();
        Runtime.getRuntime().addShutdownHook(new Thread(target::close, "loadtest-target-stop"));
        try {
            target.startBroker();
            target.command("create trades 4");
            target.command("create quotes 4 compact");
            target.command("create inbox 4");
            target.command("produce-n quotes 20 5 smoke");
            for (int i = 0; i < nodeCount; i++) {
                target.startNode();
            }
        } catch (Exception | AssertionError e) {
            target.close();
            throw e;
        }
        return target;
    }

    private void startBroker() throws Exception {
        Path jar = jar("dev/target/fanwire-dev.jar");
        broker = new ProcessBuilder(java(), "-Xmx384m", "-cp", jar.toString(), "io.fanwire.broker.DevKafka",
                "--port", "0").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(broker);
        brokerIn = new OutputStreamWriter(broker.getOutputStream(), StandardCharsets.UTF_8);
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.startsWith("READY ")) {
                        ready.complete(line.substring(6).trim());
                    } else {
                        brokerAnswers.offer(line);
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.completeExceptionally(new IllegalStateException("DevKafka exited before READY"));
        }, "loadtest-devkafka-output");
        reader.setDaemon(true);
        reader.start();
        bootstrap = ready.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /** One DevKafka command; fails unless it answers {@code OK} within 60 s. */
    String command(String line) throws Exception {
        brokerIn.write(line + "\n");
        brokerIn.flush();
        String answer = brokerAnswers.poll(60, TimeUnit.SECONDS);
        if (answer == null || !answer.startsWith("OK")) {
            throw new AssertionError("DevKafka: " + line + " -> " + answer);
        }
        return answer;
    }

    private void startNode() throws Exception {
        Path jar = jar("gateway/target/fanwire.jar");
        Process node = new ProcessBuilder(java(), "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar.toString(),
                "--kafka-bootstrap", bootstrap, "--topics", TOPICS, "--snapshot-topics", "quotes",
                "--port", "0", "--admin-port", "0", "--bind-address", "127.0.0.1",
                "--admin-bind-address", "127.0.0.1", "--io-threads", "2", "--catchup-readers", "1",
                "--auth-hs256-secret", SECRET, "--publish-enabled", "true")
                .redirectErrorStream(true).start();
        children.add(node);
        List<String> output = new ArrayList<>();
        CompletableFuture<Integer> wsPort = new CompletableFuture<>();
        CompletableFuture<Integer> adminPort = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    synchronized (output) {
                        output.add(line);
                    }
                    Matcher ws = WS_PORT.matcher(line);
                    if (ws.find()) {
                        wsPort.complete(Integer.parseInt(ws.group(1)));
                    }
                    Matcher admin = ADMIN_PORT.matcher(line);
                    if (admin.find()) {
                        adminPort.complete(Integer.parseInt(admin.group(1)));
                    }
                }
            } catch (IOException e) {
                wsPort.completeExceptionally(e);
            }
            wsPort.completeExceptionally(new IllegalStateException("the node exited"));
            adminPort.completeExceptionally(new IllegalStateException("the node exited"));
        }, "loadtest-node-output");
        reader.setDaemon(true);
        reader.start();
        try {
            int port = wsPort.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            awaitReady(adminPort.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            nodes.add(URI.create("ws://127.0.0.1:" + port + "/ws"));
        } catch (Exception e) {
            synchronized (output) {
                throw new AssertionError("the gateway node did not start:\n" + String.join("\n", output), e);
            }
        }
    }

    private static void awaitReady(int adminPort) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + adminPort + "/readyz")).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the node's /readyz did not answer 200 within " + START_TIMEOUT);
    }

    /** The nodes' WebSocket URLs, comma-separated, as {@code fanwire.url} takes them. */
    String urls() {
        return String.join(",", nodes.stream().map(URI::toString).toList());
    }

    String bootstrapServers() {
        return bootstrap;
    }

    private static Path jar(String relative) {
        Path jar = REPO.resolve(relative);
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError(jar + " not found: build it first (./mvnw -B -pl loadtest -am verify)");
        }
        return jar;
    }

    static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    @Override
    public synchronized void close() {
        for (Process child : children) {
            child.destroyForcibly();
        }
        for (Process child : children) {
            try {
                child.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        children.clear();
    }
}
