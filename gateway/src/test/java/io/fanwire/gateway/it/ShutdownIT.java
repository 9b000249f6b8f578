package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The packaged gateway as an operator runs it: {@code java -jar gateway/target/fanwire.jar}. On SIGTERM it
 * closes its clients with status 1001 and exits 0.
 */
class ShutdownIT {

    private static final Pattern LISTENING = Pattern.compile("WebSocket listener on /127\\.0\\.0\\.1:(\\d+)");

    @Test
    void sigtermClosesClientsWithGoingAwayAndExitsZero() throws Exception {
        Path jar = Path.of("target", "fanwire.jar");
        assertTrue(Files.isRegularFile(jar), "run after package: " + jar.toAbsolutePath());
        String topic = "shutdown-" + UUID.randomUUID().toString().substring(0, 8);
        TestKafka.createTopic(topic, 1);

        String java = ProcessHandle.current().info().command().orElse("java");
        Process gateway = new ProcessBuilder(java, "-jar", jar.toString(),
                "--kafka-bootstrap", TestKafka.bootstrapServers(), "--topics", topic,
                "--port", "0", "--admin-port", "0", "--bind-address", "127.0.0.1",
                "--auth-anonymous", "true")
                .redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    synchronized (output) {
                        output.add(line);
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (Exception e) {
                port.completeExceptionally(e);
            }
        });
        reader.start();
        try {
            int wsPort = port.get(60, TimeUnit.SECONDS);
            try (WsTestClient client = WsTestClient.json(URI.create("ws://127.0.0.1:" + wsPort + "/ws"))) {
                client.subscribeOk(topic);
                gateway.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output
                assertEquals(1001, client.awaitClose());
            }
            assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "exited after SIGTERM");
            assertEquals(0, gateway.exitValue(), () -> String.join("\n", output));
            reader.join(5_000);
            synchronized (output) {
                assertTrue(output.stream().anyMatch(l -> l.contains("stopped")), String.join("\n", output));
            }
        } finally {
            gateway.destroyForcibly();
        }
    }
}
