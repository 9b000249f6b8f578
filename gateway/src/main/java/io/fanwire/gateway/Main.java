package io.fanwire.gateway;

import io.fanwire.gateway.config.ConfigException;
import io.fanwire.gateway.config.ConfigLoader;
import io.fanwire.gateway.config.ConfigReference;
import io.fanwire.gateway.config.GatewayConfig;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The command line: {@code java -jar fanwire.jar [flags]} ({@code --help} lists them). Starts a
 * {@link Gateway}, drains and stops it on SIGTERM, SIGINT or {@code POST /drain}, then exits 0. Exit
 * status 2 means the configuration was rejected; 1 means the gateway could not start.
 */
public final class Main {

    private static final Logger log = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        GatewayConfig config;
        try {
            ConfigLoader.CommandLine commandLine = ConfigLoader.parse(Arrays.asList(args));
            if (commandLine.help()) {
                System.out.print(ConfigReference.help());
                return;
            }
            config = ConfigLoader.load(commandLine, System.getenv());
        } catch (ConfigException e) {
            System.err.println("fanwire: " + e.getMessage());
            System.exit(2);
            return;
        }

        Gateway gateway;
        try {
            gateway = Gateway.start(config);
        } catch (ConfigException e) {
            // Some settings (access rules, key files) can only be checked while starting.
            System.err.println("fanwire: " + e.getMessage());
            System.exit(2);
            return;
        } catch (Exception e) {
            log.error("could not start: {}", e.getMessage(), e);
            System.exit(1);
            return;
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
        System.exit(0);
    }
}
