package io.fanwire.gateway;

import io.fanwire.gateway.config.ConfigException;
import io.fanwire.gateway.config.ConfigLoader;
import io.fanwire.gateway.config.ConfigReference;
import io.fanwire.gateway.config.GatewayConfig;
import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The command line: {@code java -jar fanwire.jar [flags]} ({@code --help} lists them). Starts a
 * {@link Gateway}, drains and stops it on SIGTERM, SIGINT or {@code POST /drain}, then exits 0. Exit
 * status 2 means the configuration was rejected; 1 means the gateway could not start.
 *
 * <p>The dev launcher ({@code fanwire-dev.jar}, module {@code dev}) uses {@link #configuration} and
 * {@link #serve} too: it starts its broker between the two.
 */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        configuration(args).ifPresent(config -> System.exit(serve(config)));
    }

    /**
     * The configuration from {@code args} and the environment. Empty after printing {@code --help}; exits with
     * status 2 after printing why the configuration was rejected.
     */
    public static Optional<GatewayConfig> configuration(String[] args) {
        try {
            ConfigLoader.CommandLine commandLine = ConfigLoader.parse(Arrays.asList(args));
            if (commandLine.help()) {
                System.out.print(ConfigReference.help());
                return Optional.empty();
            }
            return Optional.of(ConfigLoader.load(commandLine, System.getenv()));
        } catch (ConfigException e) {
            System.err.println("fanwire: " + e.getMessage());
            System.exit(2);
            return Optional.empty();
        }
    }

    /**
     * Starts a gateway with {@code config} and blocks until it has drained and stopped (SIGTERM, SIGINT or
     * {@code POST /drain}). Returns the process's exit status: 0 after a clean stop, 2 for a configuration
     * that could only be rejected while starting (access rules, key files), 1 for any other start failure.
     */
    public static int serve(GatewayConfig config) {
        Gateway gateway;
        try {
            gateway = Gateway.start(config);
        } catch (ConfigException e) {
            System.err.println("fanwire: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            log.error("could not start: {}", e.getMessage(), e);
            return 1;
        }
        GatewayConfig running = gateway.config();
        boolean tls = running.security().tls();
        log.info("Fanwire is up: WebSocket {}://localhost:{}{} · admin {}://localhost:{}/metrics · topics {}{}",
                tls ? "wss" : "ws", gateway.port(), running.wsPath(),
                tls && running.security().adminTls() ? "https" : "http", gateway.adminPort(), running.topics(),
                running.dev() ? " · dev mode: demo page http://localhost:" + gateway.port()
                        + "/ · Kafka at " + running.bootstrapServers() : "");

        // Handling the signals ourselves (sun.misc.Signal, the only JDK API for it) is what lets a clean
        // stop exit 0; the JVM's default SIGTERM handling would run the same shutdown and exit 143.
        // SIGTERM, SIGINT and POST /drain all drain the node (Gateway.close); the process exits when it is done.
        Signal.handle(new Signal("TERM"), signal -> gateway.drainInBackground());
        Signal.handle(new Signal("INT"), signal -> gateway.drainInBackground());
        gateway.closed().join();
        return 0;
    }
}
