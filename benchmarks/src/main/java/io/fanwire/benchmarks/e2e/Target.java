package io.fanwire.benchmarks.e2e;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under test, in its own process so that its CPU time and memory can be read from /proc:
 * Fanwire ({@code gateway/target/fanwire.jar}), or one of the peers in {@code benchmarks/peers/}.
 */
final class Target implements AutoCloseable {

    /** The servers compared. */
    enum Kind {
        FANWIRE("fanwire"), UWS("uWebSockets.js"), WS("ws");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        static Kind parse(String name) {
            return switch (name) {
                case "fanwire" -> FANWIRE;
                case "uws" -> UWS;
                case "ws" -> WS;
                default -> throw new IllegalArgumentException("unknown target " + name + " (fanwire, uws, ws)");
            };
        }
    }

    /**
     * The JVM options Fanwire ships with and is benchmarked with: {@code deploy/jvm.options}, one per line,
     * {@code #} comments, as {@code deploy/fanwire} reads them.
     */
    static List<String> fanwireJvmOptions(Path repo) throws IOException {
        return Files.readAllLines(repo.resolve("deploy/jvm.options")).stream()
                .map(line -> line.replaceFirst("#.*", "").strip())
                .filter(line -> !line.isEmpty())
                .toList();
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final Pattern LISTENER_PORT = Pattern.compile(":(\\d+) \\(");

    final Kind kind;
    final int port;
    private final int adminPort;
    private final ChildProcess process;
    /** The jcmd of the JVM that runs Fanwire, so that it attaches to a JVM of its own version. */
    private final String jcmd;

    private Target(Kind kind, int port, int adminPort, ChildProcess process, String jcmd) {
        this.kind = kind;
        this.jcmd = jcmd;
        this.port = port;
        this.adminPort = adminPort;
        this.process = process;
    }

    /** Starts the server and waits until it is ready: listening, and its Kafka consumer at the live end. */
    static Target start(Kind kind, Path repo, String bootstrap, String topic, int ioThreads, TargetSettings settings)
            throws Exception {
        ChildProcess process;
        if (kind == Kind.FANWIRE) {
            List<String> command = new ArrayList<>();
            command.add(settings.fanwireJava());
            command.addAll(fanwireJvmOptions(repo));
            command.addAll(settings.fanwireJvmOptions());
            command.addAll(List.of("-jar", repo.resolve("gateway/target/fanwire.jar").toString(),
                    "--kafka-bootstrap", bootstrap, "--topics", topic, "--port", "0", "--admin-port", "0",
                    "--io-threads", Integer.toString(ioThreads),
                    // The swarm's clients carry no token; production mode would refuse them. Thousands of
                    // them share each source address, past the per-address default.
                    "--auth-anonymous", "true", "--ws-max-connections-per-address", "100000",
                    // Market data: a slow client keeps the newest quote per key, as the peers do (and as the
                    // figures in benchmarks/README.md were measured); the gateway's default is disconnect.
                    "--slow-consumer-policy", "*=conflate"));
            command.addAll(settings.fanwireArgs());
            // Ports 0: Fanwire binds free ports itself and logs them, so no other process can take them first.
            process = ChildProcess.start("fanwire", command, settings.env(), repo);
            int wsPort = listenerPort(process, "WebSocket listener on");
            int admin = listenerPort(process, "admin listener on");
            Path java = Path.of(settings.fanwireJava());
            String jcmd = java.getParent() == null ? "jcmd" : java.resolveSibling("jcmd").toString();
            Target target = new Target(kind, wsPort, admin, process, jcmd);
            target.awaitReady();
            return target;
        }
        int port = freePort();
        Map<String, String> env = new HashMap<>(settings.env());
        env.put("PORT", Integer.toString(port));
        env.put("KAFKA_BOOTSTRAP", bootstrap);
        env.put("TOPICS", topic);
        String script = kind == Kind.UWS ? "uws-peer.js" : "ws-peer.js";
        process = ChildProcess.start(kind.label, List.of("node", script), env, repo.resolve("benchmarks/peers"));
        process.awaitLine(line -> line.startsWith("READY"), Duration.ofSeconds(60));
        return new Target(kind, port, -1, process, null);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static int listenerPort(ChildProcess process, String logLine) throws InterruptedException {
        Matcher m = LISTENER_PORT.matcher(
                process.awaitLine(line -> line.contains(logLine), Duration.ofSeconds(60)));
        if (!m.find()) {
            throw new IllegalStateException("no port in the line '" + logLine + "':\n" + process.tail());
        }
        return Integer.parseInt(m.group(1));
    }

    private void awaitReady() throws Exception {
        process.awaitLine(line -> line.contains("Fanwire is up"), Duration.ofSeconds(60));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (admin("/readyz").statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("fanwire never became ready:\n" + process.tail());
    }

    private HttpResponse<String> admin(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    long pid() {
        return process.pid();
    }

    /** Fanwire's /metrics as name → value (labels folded into the name); empty for peers. */
    Map<String, Double> metrics() throws IOException, InterruptedException {
        Map<String, Double> out = new HashMap<>();
        if (kind != Kind.FANWIRE) {
            return out;
        }
        for (String line : admin("/metrics").body().split("\n")) {
            if (!line.startsWith("#") && line.contains(" ")) {
                int space = line.lastIndexOf(' ');
                out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return out;
    }

    /** Asks Fanwire's JVM for a full GC (jcmd), so heap figures are live data; no-op for peers. */
    void fullGc() throws Exception {
        if (kind == Kind.FANWIRE) {
            new ProcessBuilder(jcmd, Long.toString(pid()), "GC.run").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            Thread.sleep(500);
        }
    }

    /** The first warnings and errors the server logged, with their stacks; empty when there were none. */
    String problems() {
        return process.problems();
    }

    String tail() {
        return process.tail();
    }

    @Override
    public void close() throws InterruptedException {
        process.stop(Duration.ofSeconds(10));
    }
}
