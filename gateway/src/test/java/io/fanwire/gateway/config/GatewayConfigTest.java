package io.fanwire.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayConfigTest {

    @Test
    void noBootstrapMeansDevModeWithTheDemoTopics() {
        GatewayConfig config = ConfigLoader.load(ConfigLoader.parse(List.of()), Map.of());
        assertTrue(config.dev());
        assertEquals(List.of("quotes", "trades", "inbox"), config.topics());
        assertEquals(8080, config.port());
        assertEquals(9090, config.adminPort());
        assertEquals(9092, config.devKafkaPort());
        assertEquals("/ws", config.wsPath());
        assertEquals(Duration.ofSeconds(60), config.idleTimeout());
    }

    @Test
    void flagsBeatEnvironmentWhichBeatsTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fanwire.properties");
        Files.writeString(file, "port=1001\nadmin.port=1002\nws.path=/file\nkafka.client.rack=file\n");
        Map<String, String> env = Map.of("FANWIRE_ADMIN_PORT", "2002", "FANWIRE_WS_PATH", "/env",
                "FANWIRE_KAFKA_BOOTSTRAP_SERVERS", "env:9092");
        GatewayConfig config = ConfigLoader.load(ConfigLoader.parse(List.of(
                "--config", file.toString(), "--ws-path=/flag", "--kafka-bootstrap", "flag:9092",
                "--topics", "a,b", "--auth-anonymous", "true")), env);
        assertEquals(1001, config.port());
        assertEquals(2002, config.adminPort());
        assertEquals("/flag", config.wsPath());
        assertEquals("flag:9092", config.bootstrapServers());
        assertEquals("file", config.kafka().get("client.rack"));
        assertFalse(config.dev());
        assertEquals(List.of("a", "b"), config.topics());
    }

    @Test
    void badValuesAreRejectedWithTheKeyNamed() {
        assertMessage("port must be between 0 and 65535, not 70000", Map.of("port", "70000"));
        assertMessage("ws.max.frame.bytes must be a whole number, not 'big'", Map.of("ws.max.frame.bytes", "big"));
        assertMessage("unknown configuration key 'prot' (see docs/configuration.md)", Map.of("prot", "1"));
        assertMessage("kafka.bootstrap.servers is required unless dev mode is on", Map.of("dev", "false"));
        assertMessage("topics is empty: name the Kafka topics to serve, e.g. --topics quotes,trades",
                Map.of("kafka.bootstrap.servers", "k:9092"));
        assertMessage("ws.write.buffer.low.bytes (10) must not exceed ws.write.buffer.high.bytes (5)",
                Map.of("ws.write.buffer.low.bytes", "10", "ws.write.buffer.high.bytes", "5"));
        assertMessage("slow.consumer.policy: unknown policy 'fast': use conflate, drop or disconnect",
                Map.of("slow.consumer.policy", "quotes=fast", "kafka.bootstrap.servers", "k:9092", "topics", "q"));
        assertMessage("ws.send.buffer.bytes is 8192: use 0 (the operating system's default) or at least 65536 "
                        + "(docs/configuration.md says why)", Map.of("ws.send.buffer.bytes", "8192"));
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(List.of("--nope", "1")));
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(List.of("--port")));
    }

    @Test
    void consumersReadCommittedRecordsUnlessToldOtherwise() {
        Map<String, String> raw = new java.util.HashMap<>(Map.of("kafka.bootstrap.servers", "k:9092",
                "topics", "quotes", "auth.anonymous", "true", "kafka.isolation.level", "read_uncommitted"));
        GatewayConfig config = GatewayConfig.from(raw);
        assertEquals("read_committed", config.consumerKafka().get("isolation.level"));
        assertEquals("k:9092", config.consumerKafka().get("bootstrap.servers"));
        raw.put("ingest.isolation.level", "read_uncommitted");
        assertEquals("read_uncommitted", GatewayConfig.from(raw).consumerKafka().get("isolation.level"));
        raw.put("ingest.isolation.level", "committed");
        assertMessage("ingest.isolation.level must be read_committed or read_uncommitted, not 'committed'", raw);
    }

    @Test
    void devFlagAloneMeansTrue() {
        ConfigLoader.CommandLine line = ConfigLoader.parse(List.of("--dev", "--port", "1"));
        assertEquals("true", line.values().get("dev"));
        assertEquals("1", line.values().get("port"));
        assertTrue(ConfigLoader.parse(List.of("--help")).help());
    }

    private static void assertMessage(String expected, Map<String, String> raw) {
        ConfigException e = assertThrows(ConfigException.class, () -> GatewayConfig.from(raw));
        assertEquals(expected, e.getMessage());
    }

    @Test
    void productionRefusesAnonymousClientsAndNeedsAKey() {
        Map<String, String> production = Map.of("kafka.bootstrap.servers", "k:9092", "topics", "quotes");
        ConfigException noKey = assertThrows(ConfigException.class, () -> GatewayConfig.from(production));
        assertTrue(noKey.getMessage().contains("auth.anonymous is false"), noKey.getMessage());

        Map<String, String> withKey = new java.util.HashMap<>(production);
        withKey.put("auth.hs256.secret", "0123456789abcdef0123456789abcdef");
        GatewayConfig config = GatewayConfig.from(withKey);
        assertFalse(config.security().anonymous());
        assertEquals("127.0.0.1", config.adminBindAddress());
        assertFalse(config.security().toString().contains("0123456789abcdef"), "secrets stay out of logs");

        withKey.put("auth.hs256.secret", "too-short");
        assertThrows(ConfigException.class, () -> GatewayConfig.from(withKey));
        assertTrue(GatewayConfig.from(Map.of()).security().anonymous(), "dev mode lets anonymous clients in");
    }
}
