package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The production jar, {@code gateway/target/fanwire.jar}, as it ships: no Kafka broker, no Scala, no dev mode,
 * and native libraries for Linux x86-64 and aarch64 only. Without Kafka brokers it refuses to start and names the
 * dev jar.
 */
class ProductionJarIT {

    private static final Path JAR = Path.of("target", "fanwire.jar");
    /** A native library's path names its platform; these are the ones Fanwire ships for. */
    private static final Pattern SHIPPED_ARCHITECTURE = Pattern.compile("(?i).*(x86_64|amd64|aarch_64|aarch64).*");
    private static final Pattern OTHER_SYSTEM =
            Pattern.compile("(?i).*(osx|mac/|darwin|windows|win32|win/|freebsd|aix|sunos|android|musl).*");

    @Test
    void carriesNeitherTheBrokerNorDevModeAndOnlyLinuxNatives() throws IOException {
        assertTrue(Files.isRegularFile(JAR), "run after package: " + JAR.toAbsolutePath());
        try (JarFile jar = new JarFile(JAR.toFile())) {
            List<String> names = jar.stream().map(ZipEntry::getName).toList();
            assertTrue(names.contains("io/fanwire/gateway/Main.class"), "the gateway's main class");
            assertTrue(names.contains("org/apache/kafka/clients/consumer/KafkaConsumer.class"), "Kafka's client");
            assertTrue(names.contains("META-INF/native/libnetty_transport_native_epoll_x86_64.so"), "epoll");
            assertTrue(names.contains("META-INF/native/libnetty_transport_native_epoll_aarch_64.so"), "epoll");
            for (String arch : List.of("x86_64", "aarch_64")) {
                assertTrue(names.stream().anyMatch(name -> name.startsWith("META-INF/native/libnetty_transport_native_io_uring")
                        && name.endsWith(arch + ".so")), "io_uring for " + arch);
            }
            for (String forbidden : List.of("kafka/server/", "scala/", "org/apache/kafka/raft/",
                    "io/fanwire/broker/", "io/fanwire/dev/", "META-INF/native/libnetty_quic",
                    "META-INF/native/libnetty_transport_native_kqueue")) {
                List<String> found = names.stream().filter(name -> name.startsWith(forbidden)).limit(3).toList();
                assertEquals(List.of(), found, "the production jar must not carry " + forbidden);
            }
            List<String> foreignNatives = names.stream()
                    .filter(name -> name.endsWith(".so") || name.endsWith(".dll") || name.endsWith(".dylib")
                            || name.endsWith(".jnilib"))
                    .filter(name -> OTHER_SYSTEM.matcher(name).matches()
                            || !SHIPPED_ARCHITECTURE.matcher(name).matches())
                    .toList();
            assertEquals(List.of(), foreignNatives, "native libraries for other platforms than Linux x86-64/aarch64");
        }
    }

    @Test
    void withoutBrokersItExitsTwoAndNamesTheDevJar() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(java, "-jar", JAR.toString(), "--port", "0", "--admin-port", "0")
                .redirectErrorStream(true).start();
        process.getOutputStream().close();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the jar did not exit");
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, process.exitValue(), output);
        assertTrue(output.contains("kafka.bootstrap.servers is required") && output.contains("fanwire-dev.jar"),
                output);
    }
}
