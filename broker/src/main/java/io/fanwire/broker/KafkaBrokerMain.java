package io.fanwire.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code main} of the child JVM that {@link EmbeddedKafkaBroker} launches: formats the
 * storage directory if it is new, then runs a combined KRaft broker and controller in this
 * process until the parent goes away.
 *
 * <p>Usage: {@code KafkaBrokerMain WORK_DIR [--delete-on-exit] [--detached] [--cluster-id ID]}.
 * {@code WORK_DIR} holds {@value #SERVER_PROPERTIES} (written by the parent) and the storage directory
 * named by its {@code log.dirs}. With {@code --delete-on-exit} the child deletes {@code WORK_DIR} after
 * the broker stopped, so that a temporary directory does not outlive a parent that was killed.
 * {@code --detached} is for a broker that outlives the script that started it ({@code deploy/local/cluster}):
 * it does not watch stdin and stops on SIGTERM only. {@code --cluster-id} formats a new storage directory
 * with that id instead of a random one: the nodes of one multi-node cluster must share it.
 *
 * <p>Threads: {@code main} formats and starts the server, then waits for it to stop;
 * {@code fanwire-parent-watch} reads stdin, a pipe from the parent, and on end of file (the
 * parent closed it, or died, even by SIGKILL) exits the JVM; the shutdown hook stops the
 * server gracefully and halts the JVM if that takes longer than {@link #SHUTDOWN_GRACE}.
 *
 * <p>Exit codes: 0 after a requested stop, {@value #EXIT_PORT_IN_USE} when a listener port was
 * taken by someone else (the parent may retry with other ports), {@value #EXIT_FAILURE} for
 * any other start failure.
 */
public final class KafkaBrokerMain {

    static final String SERVER_PROPERTIES = "server.properties";
    /** Created once the broker serves requests, removed when it stops. */
    static final String READY_FILE = "broker.ready";
    static final String DELETE_ON_EXIT = "--delete-on-exit";
    static final String DETACHED = "--detached";
    static final String CLUSTER_ID = "--cluster-id";
    static final int EXIT_FAILURE = 1;
    static final int EXIT_PORT_IN_USE = 3;
    /** Longer than a clean stop of a single idle node, shorter than the parent's close timeout. */
    static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(KafkaBrokerMain.class);

    private KafkaBrokerMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            usage();
        }
        Path workDir = Path.of(args[0]);
        boolean deleteOnExit = false;
        boolean detached = false;
        String clusterId = Uuid.randomUuid().toString();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case DELETE_ON_EXIT -> deleteOnExit = true;
                case DETACHED -> detached = true;
                case CLUSTER_ID -> {
                    if (++i == args.length) {
                        usage();
                    }
                    clusterId = args[i];
                }
                default -> usage();
            }
        }

        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(workDir.resolve(SERVER_PROPERTIES))) {
            properties.load(reader);
        }
        formatIfNew(workDir.resolve(SERVER_PROPERTIES), Path.of(properties.getProperty("log.dirs")), clusterId);

        KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(properties, false), Time.SYSTEM);
        boolean deleteWorkDir = deleteOnExit;
        Runtime.getRuntime().addShutdownHook(
                new Thread(() -> stop(server, workDir, deleteWorkDir), "kafka-shutdown-hook"));
        if (!detached) {
            watchParent(System.in);
        }

        try {
            server.startup();
        } catch (Throwable t) {
            boolean portInUse = causedBy(t, BindException.class);
            log.error(portInUse ? "Kafka could not bind a listener port" : "Kafka failed to start", t);
            // halt, not exit: a half-started server can block the shutdown hook for a long time
            Runtime.getRuntime().halt(portInUse ? EXIT_PORT_IN_USE : EXIT_FAILURE);
        }
        log.info("Kafka broker and controller started (node {}, listeners {})",
                properties.getProperty("node.id"), properties.getProperty("listeners"));
        announceReady(workDir.resolve(READY_FILE));
        server.awaitShutdown();
        System.exit(0);
    }

    /**
     * Formats a new storage directory with a new cluster id: {@code kafka-storage.sh format}, in
     * process. A directory that holds {@code meta.properties} was formatted by an earlier run and
     * keeps its cluster id ({@code --ignore-formatted} would not do: it still insists on the id).
     * Kafka's {@code Formatter} class would also do, but its module is only on the runtime
     * classpath of {@code kafka_2.13}; the tool's entry point is on the compile classpath.
     */
    private static void formatIfNew(Path serverProperties, Path dataDir, String clusterId) {
        if (Files.exists(dataDir.resolve("meta.properties"))) {
            log.info("{} is formatted already", dataDir);
            return;
        }
        String[] args = {"format", "--config", serverProperties.toString(),
                "--cluster-id", clusterId};
        int exitCode;
        try {
            exitCode = StorageTool.execute(args, System.out);
        } catch (RuntimeException e) {
            log.error("Could not format the Kafka storage directory {}", dataDir, e);
            exitCode = EXIT_FAILURE;
        }
        if (exitCode != 0) {
            log.error("kafka-storage {} exited with code {}", String.join(" ", args), exitCode);
            Runtime.getRuntime().halt(EXIT_FAILURE);
        }
    }

    private static void usage() {
        System.err.println("usage: KafkaBrokerMain WORK_DIR [" + DELETE_ON_EXIT + "] [" + DETACHED + "] ["
                + CLUSTER_ID + " ID]");
        System.exit(2);
    }

    /** The parent polls for this file: cheaper and quicker to notice than retrying a Kafka client. */
    private static void announceReady(Path readyFile) throws IOException {
        Path temporary = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
        Files.writeString(temporary, ProcessHandle.current().pid() + "\n");
        Files.move(temporary, readyFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The parent keeps our stdin open for as long as it wants the broker; the kernel closes it
     * when the parent dies, however it dies. That makes end of file the one signal that works
     * even after SIGKILL, where no shutdown hook of the parent runs.
     */
    private static void watchParent(InputStream stdin) {
        Thread watcher = new Thread(() -> {
            try {
                byte[] buffer = new byte[256];
                while (stdin.read(buffer) != -1) {
                    // the parent sends nothing; anything it does send is ignored
                }
                log.info("stdin closed by the parent: stopping the broker");
            } catch (IOException e) {
                log.warn("Could not read stdin from the parent: stopping the broker", e);
            }
            System.exit(0);
        }, "fanwire-parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void stop(KafkaRaftServer server, Path workDir, boolean deleteWorkDir) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(SHUTDOWN_GRACE.toMillis());
                log.warn("Kafka did not stop within {}: halting", SHUTDOWN_GRACE);
                Runtime.getRuntime().halt(EXIT_FAILURE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kafka-shutdown-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            Files.deleteIfExists(workDir.resolve(READY_FILE));
        } catch (IOException e) {
            log.warn("Could not delete {}", workDir.resolve(READY_FILE), e);
        }
        try {
            server.shutdown();
            server.awaitShutdown();
            log.info("Kafka broker stopped");
        } catch (RuntimeException e) {
            log.warn("Kafka did not stop cleanly", e);
        }
        if (deleteWorkDir) {
            try {
                deleteRecursively(workDir);
            } catch (UncheckedIOException e) {
                log.warn("Could not delete {}", workDir, e);
            }
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable cause = t; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }
}
