package io.fanwire.dev;

import io.fanwire.broker.EmbeddedKafkaBroker;
import io.fanwire.gateway.Main;
import io.fanwire.gateway.config.GatewayConfig;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dev mode in one command: {@code java -jar dev/target/fanwire-dev.jar [flags]}. Takes the gateway's flags
 * ({@code --help}); without {@code --kafka.bootstrap.servers} it starts a real single-node Kafka broker
 * ({@link EmbeddedKafkaBroker}, a child JVM on {@code 127.0.0.1:}{@code dev.kafka.port}), creates the demo
 * topics, starts the gateway against it and the {@link DemoFeed}, and on SIGTERM or Ctrl-C drains the gateway,
 * then stops the feed and the broker. With the brokers named it is the production gateway ({@link Main}).
 *
 * <p>This module exists so that the production jar ({@code gateway/target/fanwire.jar}) and image carry neither
 * Kafka's server classes and Scala nor the demo feed.
 *
 * <p>Threads: {@code main} starts everything and waits for the gateway to stop.
 */
public final class DevMain {

    private static final Logger log = LoggerFactory.getLogger(DevMain.class);
    /** Partitions of the dev-mode topics: quotes is the busy one. */
    static final Map<String, Integer> DEV_PARTITIONS = Map.of("quotes", 8, "trades", 4, "inbox", 4);

    private DevMain() {
    }

    public static void main(String[] args) {
        Optional<GatewayConfig> configuration = Main.configuration(args);
        if (configuration.isEmpty()) {
            return;
        }
        GatewayConfig config = configuration.get();
        if (!config.dev()) {
            System.exit(Main.serve(config));
        }

        int status;
        EmbeddedKafkaBroker broker;
        try {
            broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults().withPort(config.devKafkaPort()));
        } catch (IllegalStateException | InterruptedException e) {
            System.err.println("fanwire: " + e.getMessage());
            System.exit(1);
            return;
        }
        try (broker) {
            for (String topic : config.topics()) {
                broker.createTopic(topic, DEV_PARTITIONS.getOrDefault(topic, 1));
            }
            // The feed stops before the broker (the inner resource closes first).
            try (AutoCloseable feed = config.devFeedRate() > 0
                    ? DemoFeed.start(broker.bootstrapServers(), config.devFeedRate(), config.devFeedSymbols())
                    : () -> { }) {
                status = Main.serve(config.withBootstrapServers(broker.bootstrapServers()));
            }
        } catch (Exception e) {
            log.error("dev mode failed: {}", e.getMessage(), e);
            status = 1;
        }
        log.info("dev mode stopped");
        System.exit(status);
    }
}
