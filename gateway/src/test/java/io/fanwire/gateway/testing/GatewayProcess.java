package io.fanwire.gateway.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The packaged gateway as an operator runs it, {@code java -jar target/fanwire.jar ...}, in a child process,
 * so that tests can send it real signals: SIGTERM ({@link #terminate}) and SIGKILL ({@link #kill}). Keeps its
 * output for assertions and failure messages. Run after {@code package} (failsafe's integration tests are).
 */
public final class GatewayProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("WebSocket listener on /127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin listener on /127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final List<String> output = new ArrayList<>();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final CompletableFuture<Integer> adminPort = new CompletableFuture<>();
    private final Thread reader;

    private GatewayProcess(List<String> command) throws Exception {
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        reader = new Thread(this::readOutput, "gateway-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code fanwire.jar} on loopback ports chosen by the OS, with {@code flags} added. */
    public static GatewayProcess start(String bootstrapServers, String topics, String... flags) throws Exception {
        return start(List.of(), bootstrapServers, topics, flags);
    }

    /** As {@link #start(String, String, String...)}, with {@code jvmOptions} for the gateway's JVM. */
    public static GatewayProcess start(List<String> jvmOptions, String bootstrapServers, String topics,
                                       String... flags) throws Exception {
        return startUnder(List.of(), jvmOptions, bootstrapServers, topics, flags);
    }

    /**
     * As {@link #start(List, String, String, String...)}, with the {@code java} command run by {@code launcher}
     * (for example {@code prlimit --nofile=N:N --}, which starts the JVM with a lower descriptor limit).
     */
    public static GatewayProcess startUnder(List<String> launcher, List<String> jvmOptions, String bootstrapServers,
                                            String topics, String... flags) throws Exception {
        Path jar = Path.of("target", "fanwire.jar");
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("run after package: " + jar.toAbsolutePath());
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(java, "-Xmx256m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(),
                "--kafka-bootstrap", bootstrapServers, "--topics", topics,
                "--port", "0", "--admin-port", "0", "--bind-address", "127.0.0.1",
                "--admin-bind-address", "127.0.0.1", "--io-threads", "2"));
        command.addAll(List.of(flags));
        GatewayProcess gateway = new GatewayProcess(command);
        try {
            gateway.port.get(60, TimeUnit.SECONDS);
            gateway.adminPort.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            gateway.close();
            throw new AssertionError("the gateway did not start:\n" + gateway.output(), e);
        }
        return gateway;
    }

    private void readOutput() {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                synchronized (output) {
                    output.add(line);
                }
                Matcher ws = LISTENING.matcher(line);
                if (ws.find()) {
                    port.complete(Integer.parseInt(ws.group(1)));
                }
                Matcher admin = ADMIN.matcher(line);
                if (admin.find()) {
                    adminPort.complete(Integer.parseInt(admin.group(1)));
                }
            }
            // The process ended: a start that never printed its ports fails now, not at the timeout.
            IllegalStateException exited = new IllegalStateException("the process exited");
            port.completeExceptionally(exited);
            adminPort.completeExceptionally(exited);
        } catch (Exception e) {
            port.completeExceptionally(e);
        }
    }

    public URI wsUri() {
        return URI.create("ws://127.0.0.1:" + port.join() + "/ws");
    }

    public URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + adminPort.join() + path);
    }

    /** The node's own metrics ({@code fanwire_} lines of {@code /metrics}), for a failing test's message. */
    public String metrics() throws Exception {
        return TestGateway.get(adminUri("/metrics")).body().lines().filter(l -> l.startsWith("fanwire_"))
                .collect(Collectors.joining("\n"));
    }

    /** The value of an unlabelled metric, as {@link TestGateway#metric} reads it from an in-process node. */
    public long metric(String name) throws Exception {
        return TestGateway.metric(TestGateway.get(adminUri("/metrics")).body(), name);
    }

    /** Waits until {@code /readyz} answers 200; fails with the process's output if it does not. */
    public void awaitReady() throws InterruptedException {
        try {
            TestGateway.await("the gateway process is ready", () -> {
                try {
                    return TestGateway.get(adminUri("/readyz")).statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + output(), e);
        }
    }

    /** SIGTERM (not {@code Process.destroy()}, which would also close our end of its output). */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** SIGKILL: the process ends at once, saying goodbye to nobody. */
    public void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    /** SIGSTOP: the process stops answering, its sockets stay open (a hung node). */
    public void stop() throws Exception {
        signal("STOP");
    }

    /** SIGCONT after {@link #stop}. */
    public void resume() throws Exception {
        signal("CONT");
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** Waits up to {@code seconds} for the process to exit and returns its status; fails if it does not. */
    public int awaitExit(int seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("the gateway did not exit within " + seconds + " s:\n" + output());
        }
        reader.join(5_000);
        return process.exitValue();
    }

    /** Everything the process printed so far. */
    public String output() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
