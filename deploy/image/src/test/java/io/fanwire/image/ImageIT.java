package io.fanwire.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.fanwire.broker.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image as a container runtime would run it: {@code target/fanwire-image.tar} (what {@code docker load}
 * reads) is inspected for its entrypoint, user, ports and JVM options, then its layers are unpacked in order into
 * one directory and the entrypoint runs there under {@code chroot} as the image's user, with a {@code /proc} of its
 * own ({@code unshare}): only the image's files are visible to it (its Java runtime, its libraries, its classpath).
 * It must serve a WebSocket client a record from a real Kafka broker, and drain and exit 0 on SIGTERM. An image
 * whose runtime is Java 25 or later also carries the options of {@code deploy/jvm25.options} and an AOT cache,
 * which the run must use without a warning; an older one carries neither.
 *
 * <p>{@code chroot} and {@code unshare} need root (CI runs as root); without it the run is skipped with the
 * reason, the inspection still runs.
 */
class ImageIT {

    private static final Path TARBALL = Path.of("target", "fanwire-image.tar");
    private static final Path JVM_OPTIONS = Path.of("..", "jvm.options");
    private static final Path JVM25_OPTIONS = Path.of("..", "jvm25.options");
    private static final String AOT_CACHE = "/app/fanwire.aot";

    @TempDir
    static Path work;
    private static JsonObject config;
    private static Path rootfs;

    @BeforeAll
    static void unpack() throws Exception {
        assertTrue(Files.isRegularFile(TARBALL), "run after package: " + TARBALL.toAbsolutePath());
        Path image = Files.createDirectories(work.resolve("image"));
        run(List.of("tar", "-xf", TARBALL.toAbsolutePath().toString(), "-C", image.toString()));
        JsonObject manifest = JsonParser.parseString(Files.readString(image.resolve("manifest.json")))
                .getAsJsonArray().get(0).getAsJsonObject();
        config = JsonParser.parseString(Files.readString(image.resolve(manifest.get("Config").getAsString())))
                .getAsJsonObject();
        rootfs = Files.createDirectories(work.resolve("rootfs"));
        for (JsonElement layer : manifest.getAsJsonArray("Layers")) {
            run(List.of("tar", "-xzf", image.resolve(layer.getAsString()).toString(), "-C", rootfs.toString()));
        }
    }

    @Test
    void runsTheGatewayAsANonRootUserWithTheShippedJvmOptions() throws IOException {
        JsonObject container = config.getAsJsonObject("config");
        assertEquals("10001:10001", container.get("User").getAsString(), "non-root user");
        List<String> entrypoint = strings(container.getAsJsonArray("Entrypoint"));
        assertEquals("java", entrypoint.get(0), "the runtime's java, found through PATH: " + entrypoint);
        assertTrue(entrypoint.contains("io.fanwire.gateway.Main"), "the gateway's main class: " + entrypoint);
        assertTrue(entrypoint.contains("@/app/jib-classpath-file"), "the layers' classpath: " + entrypoint);
        Map<String, String> env = env(container);
        assertEquals("/opt/java/bin", env.get("PATH"));
        assertEquals(shippedJvmOptions(), List.of(env.get("JDK_JAVA_OPTIONS").split(" ")),
                "JDK_JAVA_OPTIONS is deploy/jvm.options");
        List<String> flags = entrypoint.subList(1, entrypoint.indexOf("-cp"));
        if (javaFeature() >= 25) {
            List<String> wanted = new ArrayList<>(options(JVM25_OPTIONS));
            wanted.add("-XX:AOTCache=" + AOT_CACHE);
            assertEquals(wanted, flags, "Java 25 or later: deploy/jvm25.options and the AOT cache");
            assertTrue(Files.size(rootfs.resolve(AOT_CACHE.substring(1))) > 0, "the AOT cache in the layers");
        } else {
            assertEquals(List.of(), flags, "before Java 25: no JVM flags in the entrypoint");
            assertFalse(Files.exists(rootfs.resolve(AOT_CACHE.substring(1))), "before Java 25: no AOT cache");
        }
        assertTrue(container.getAsJsonObject("ExposedPorts").has("8080/tcp"), "WebSocket port");
        assertTrue(container.getAsJsonObject("ExposedPorts").has("9090/tcp"), "admin port");

        assertTrue(Files.isExecutable(rootfs.resolve("opt/java/bin/java")), "a Java runtime at /opt/java");
        String passwd = Files.readString(rootfs.resolve("etc/passwd"));
        assertTrue(passwd.contains("fanwire:x:10001:10001:"), passwd);
        List<String> classpath = List.of(Files.readString(rootfs.resolve("app/jib-classpath-file")).trim().split(":"));
        assertTrue(classpath.stream().anyMatch(entry -> entry.matches("/app/libs/fanwire-gateway-.*\\.jar")),
                "the gateway's jar on the classpath: " + classpath);
        for (String entry : classpath) {
            if (entry.endsWith(".jar")) {
                assertTrue(Files.exists(rootfs.resolve(entry.substring(1))), "classpath jar in the layers: " + entry);
            }
        }
        try (Stream<Path> files = Files.walk(rootfs.resolve("app"))) {
            List<String> broker = files.map(Path::toString)
                    .filter(name -> name.contains("kafka_2.13") || name.contains("scala-library")
                            || name.contains("fanwire-broker") || name.contains("fanwire-dev"))
                    .toList();
            assertEquals(List.of(), broker, "the production image carries no Kafka broker and no dev mode");
        }
    }

    @Test
    void theEntrypointServesARecordFromKafkaAndDrainsOnSigterm() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "chroot and unshare need root to run the image's entrypoint without a container runtime");
        int wsPort = freePort();
        int adminPort = freePort();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults().withPort(0));
        Process node = null;
        try {
            broker.createTopic("quotes", 2);
            Files.createDirectories(rootfs.resolve("proc"));
            JsonObject container = config.getAsJsonObject("config");
            List<String> command = new ArrayList<>(List.of(tool("unshare"), "--mount", "--pid", "--fork",
                    "--mount-proc=" + rootfs.resolve("proc"), tool("chroot"),
                    "--userspec=" + container.get("User").getAsString(), rootfs.toString()));
            command.addAll(strings(container.getAsJsonArray("Entrypoint")));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(work.resolve("node.log").toFile());
            builder.environment().clear();
            builder.environment().putAll(env(container));
            if (javaFeature() >= 25) {
                // Logging only: the cache stays valid, and the log says whether the JVM mapped it.
                builder.environment().merge("JDK_JAVA_OPTIONS", " -Xlog:aot", String::concat);
            }
            builder.environment().putAll(Map.of(
                    "FANWIRE_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                    "FANWIRE_TOPICS", "quotes",
                    "FANWIRE_PORT", String.valueOf(wsPort),
                    "FANWIRE_BIND_ADDRESS", "127.0.0.1",
                    "FANWIRE_ADMIN_PORT", String.valueOf(adminPort),
                    "FANWIRE_AUTH_ANONYMOUS", "true",
                    "FANWIRE_DRAIN_GRACE_MS", "1000"));
            node = builder.start();

            HttpClient http = HttpClient.newHttpClient();
            URI readyz = URI.create("http://127.0.0.1:" + adminPort + "/readyz");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            int status = 0;
            while (status != 200) {
                assertTrue(node.isAlive(), "the node exited: " + log());
                assertTrue(System.nanoTime() < deadline, "/readyz never said ready: " + log());
                try {
                    status = http.send(HttpRequest.newBuilder(readyz).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode();
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (status != 200) {
                    Thread.sleep(200);
                }
            }
            assertEquals(List.of(10001), javaUids(node), "the JVM runs as the image's user");
            if (javaFeature() >= 25) {
                assertTrue(log().contains("Using AOT-linked classes: true"), "the AOT cache is used: " + log());
                assertFalse(log().contains("[warning][aot") || log().contains("[error][aot")
                        || log().contains("[error  ][aot"), "the AOT cache is taken without a complaint: " + log());
            }

            BlockingQueue<String> frames = new LinkedBlockingQueue<>();
            WebSocket ws = http.newWebSocketBuilder().subprotocols("fanwire.v1.json")
                    .buildAsync(URI.create("ws://127.0.0.1:" + wsPort + "/ws"), new WebSocket.Listener() {
                        private final StringBuilder text = new StringBuilder();

                        @Override
                        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                            text.append(data);
                            if (last) {
                                frames.add(text.toString());
                                text.setLength(0);
                            }
                            socket.request(1);
                            return null;
                        }
                    }).get(30, TimeUnit.SECONDS);
            ws.sendText("{\"id\":\"1\",\"subscribe\":{\"channel\":\"quotes\"}}", true).get(10, TimeUnit.SECONDS);
            String reply = frames.poll(30, TimeUnit.SECONDS);
            assertTrue(reply != null && reply.contains("\"subscribed\""), "subscribe reply: " + reply);
            try (KafkaProducer<String, String> producer = producer(broker.bootstrapServers())) {
                producer.send(new ProducerRecord<>("quotes", "IMG", "{\"bid\":1}")).get(30, TimeUnit.SECONDS);
            }
            String message = frames.poll(30, TimeUnit.SECONDS);
            assertTrue(message != null && message.contains("\"key\":\"IMG\""), "the record, live: " + message);

            node.toHandle().descendants().filter(process -> process.info().command().orElse("").endsWith("/java"))
                    .forEach(ProcessHandle::destroy); // SIGTERM to the JVM, as a runtime's stop does
            assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the node did not exit after SIGTERM: " + log());
            assertEquals(0, node.exitValue(), log());
            assertTrue(log().contains("draining"), "SIGTERM drains: " + log());
        } finally {
            if (node != null && node.isAlive()) {
                node.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                node.destroyForcibly();
            }
            broker.close();
        }
    }

    /** A host tool by absolute path: the child's environment is the image's, whose PATH is the image's. */
    private static String tool(String name) {
        return Stream.of("/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/").map(dir -> dir + name)
                .filter(path -> Files.isExecutable(Path.of(path))).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not found (util-linux, coreutils)"));
    }

    private static List<Integer> javaUids(Process node) {
        return node.toHandle().descendants()
                .filter(process -> process.info().command().orElse("").endsWith("/java"))
                .map(process -> {
                    try {
                        return Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status")).stream()
                                .filter(line -> line.startsWith("Uid:")).map(line -> line.split("\\s+")[1])
                                .map(Integer::valueOf).findFirst().orElse(-1);
                    } catch (IOException e) {
                        return -1;
                    }
                }).toList();
    }

    private static String log() throws IOException {
        Path log = work.resolve("node.log");
        return Files.exists(log) ? Files.readString(log) : "(no output)";
    }

    /** deploy/jvm.options as the launcher gets them: one per line, comments and blank lines dropped. */
    private static List<String> shippedJvmOptions() throws IOException {
        return options(JVM_OPTIONS);
    }

    private static List<String> options(Path file) throws IOException {
        return Files.readAllLines(file).stream().map(line -> line.replaceAll("#.*", "").trim())
                .filter(line -> !line.isEmpty()).toList();
    }

    /** The feature version of the image's Java runtime, from its release file. */
    private static int javaFeature() throws IOException {
        return Files.readAllLines(rootfs.resolve("opt/java/release")).stream()
                .filter(line -> line.startsWith("JAVA_VERSION="))
                .map(line -> Integer.parseInt(line.replaceAll("JAVA_VERSION=\"([0-9]+).*", "$1")))
                .findFirst().orElseThrow(() -> new AssertionError("no JAVA_VERSION in /opt/java/release"));
    }

    private static Map<String, String> env(JsonObject container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String entry : strings(container.getAsJsonArray("Env"))) {
            int equals = entry.indexOf('=');
            env.put(entry.substring(0, equals), entry.substring(equals + 1));
        }
        return env;
    }

    private static List<String> strings(JsonArray array) {
        List<String> strings = new ArrayList<>();
        array.forEach(element -> strings.add(element.getAsString()));
        return strings;
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties properties = new Properties();
        properties.put("bootstrap.servers", bootstrap);
        properties.put("key.serializer", StringSerializer.class.getName());
        properties.put("value.serializer", StringSerializer.class.getName());
        return new KafkaProducer<>(properties);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "timed out: " + command);
        assertEquals(0, process.exitValue(), command + ": " + output);
    }

    @AfterAll
    static void noLeftovers() {
        assertFalse(ProcessHandle.current().descendants().anyMatch(ProcessHandle::isAlive), "no child process left");
    }
}
