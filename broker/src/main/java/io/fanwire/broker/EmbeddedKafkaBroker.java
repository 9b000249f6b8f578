package io.fanwire.broker;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker for dev mode and for tests: one KRaft node that is both broker and
 * controller, running {@link KafkaBrokerMain} in a child JVM, reachable at
 * {@code 127.0.0.1:PORT} with PLAINTEXT, so that the gateway, producer apps and kcat can all
 * use it. Not for production: one node, replication factor 1, no security.
 *
 * <p>Starting points: {@link #start(Options)}, then {@link #bootstrapServers()} and
 * {@link #createTopic(String, int)}; {@link #close()} when done.
 *
 * <p>Why a child JVM and not the broker in-process: the broker's threads, garbage, CPU and log
 * output stay out of the gateway's process, so the gateway's latency figures, heap and GC logs
 * measure the gateway alone; the broker's Scala and server classes stay out of the gateway's
 * heap; and a fault test can {@link #kill()} the broker like a real one. The price is a second
 * JVM: about 5 s from {@code start} to ready and about 300 MB resident on a two-core machine
 * (Kafka 4.1, C1 only, measured), and one more process to clean up. The child cleans itself
 * up: it reads its stdin, a pipe from this process, and stops when it reaches end of file,
 * which happens when {@link #close()} closes the pipe and also when this process dies in any
 * way, SIGKILL included (the child is gone about 2 s later). With a temporary work directory
 * the child deletes it on the way out.
 *
 * <p>Readiness: the child creates {@code broker.ready} in the work directory once Kafka's
 * startup returned, which in KRaft means the broker is unfenced and its listener serves
 * requests; {@link #start(Options)} waits for that file, then for a {@code describeCluster}
 * answer. Until then no Kafka client connects, so the console gets no "connection refused"
 * warnings.
 *
 * <p>Logs: the child writes the broker's log to {@link #logFile()} (from INFO up, never to
 * this process's console); WARN and above (less the ones every healthy start and stop logs,
 * see {@link BrokerConsoleFilter}), and anything else the child prints to stderr, are copied
 * to this process's {@code System.err} with the prefix {@value #CONSOLE_PREFIX}.
 *
 * <p>Threads: every method may be called from any thread and blocks: never call them from an
 * event loop. One daemon thread, {@code kafka-broker-stderr}, copies the child's stderr to the
 * console until the child exits. {@link #createTopic(String, int)} uses one shared,
 * thread-safe {@link Admin} client.
 *
 * <p>Work directory layout: {@code server.properties} (the broker's configuration, written on
 * each start), {@code data/} (the storage directory, formatted on first start),
 * {@code broker.log}, {@code broker.ready}, {@code classpath.args} (the child's classpath).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    /** The dev-mode port: Kafka's usual one, so that producer apps find it without configuration. */
    public static final int DEFAULT_PORT = 9092;
    /** The logback configuration resource of the child, resolved on its classpath. */
    public static final String LOGBACK_CONFIG = "fanwire-broker-logback.xml";

    static final String CONSOLE_PREFIX = "[kafka-broker] ";
    static final String BROKER_LOG = "broker.log";
    static final String DATA_DIR = "data";

    /**
     * The child's JVM options by default. A dev broker is mostly idle: 512 MB of heap and the
     * serial collector are plenty. {@code TieredStopAtLevel=1} (C1 only) starts the broker about
     * a quarter sooner on two busy cores and leaves more CPU to the gateway and the tests, at the
     * cost of the broker's peak throughput: a benchmark that pushes the broker hard should use
     * {@link Options#withJvmOptions} without it, or a real cluster.
     */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true");

    private static final String LOOPBACK = "127.0.0.1";
    private static final String CLASSPATH_ARGS = "classpath.args";
    /** Chosen ports can be taken by someone else before the child binds them; this many tries. */
    private static final int START_ATTEMPTS = 3;
    private static final Duration CLOSE_TIMEOUT = KafkaBrokerMain.SHUTDOWN_GRACE.plusSeconds(5);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final int LOG_TAIL_LINES = 30;
    private static final int LOG_TAIL_MAX_BYTES = 16 * 1024;

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    /**
     * How to start the broker.
     *
     * @param port the PLAINTEXT port on 127.0.0.1; 0 picks a free one
     * @param workDir where the configuration, data and log go; empty: a fresh temporary
     *        directory, deleted on {@link EmbeddedKafkaBroker#close()}. A given directory is
     *        kept, and a later start reuses its data.
     * @param classpath the child JVM's classpath: it must hold this module and its
     *        dependencies, as the gateway's own classpath or the fat jar does
     * @param startTimeout how long {@link EmbeddedKafkaBroker#start(Options)} waits for the
     *        broker to serve requests
     * @param jvmOptions options of the child JVM (heap, collector, ...)
     */
    public record Options(int port, Optional<Path> workDir, String classpath, Duration startTimeout,
                          List<String> jvmOptions) {

        public Options {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("port must be in 0..65535, was " + port);
            }
            Objects.requireNonNull(workDir, "workDir");
            Objects.requireNonNull(classpath, "classpath");
            if (classpath.isBlank()) {
                throw new IllegalArgumentException("classpath must not be blank");
            }
            Objects.requireNonNull(startTimeout, "startTimeout");
            if (startTimeout.isNegative() || startTimeout.isZero()) {
                throw new IllegalArgumentException("startTimeout must be positive, was " + startTimeout);
            }
            jvmOptions = List.copyOf(Objects.requireNonNull(jvmOptions, "jvmOptions"));
        }

        /**
         * Port {@value EmbeddedKafkaBroker#DEFAULT_PORT}, a temporary directory, this JVM's
         * classpath, 60 s to start, {@link EmbeddedKafkaBroker#DEFAULT_JVM_OPTIONS}.
         */
        public static Options defaults() {
            return new Options(DEFAULT_PORT, Optional.empty(), System.getProperty("java.class.path"),
                    Duration.ofSeconds(60), DEFAULT_JVM_OPTIONS);
        }

        public Options withPort(int port) {
            return new Options(port, workDir, classpath, startTimeout, jvmOptions);
        }

        public Options withWorkDir(Path workDir) {
            return new Options(port, Optional.of(workDir), classpath, startTimeout, jvmOptions);
        }

        public Options withClasspath(String classpath) {
            return new Options(port, workDir, classpath, startTimeout, jvmOptions);
        }

        public Options withStartTimeout(Duration startTimeout) {
            return new Options(port, workDir, classpath, startTimeout, jvmOptions);
        }

        public Options withJvmOptions(List<String> jvmOptions) {
            return new Options(port, workDir, classpath, startTimeout, jvmOptions);
        }
    }

    private final Process process;
    private final int port;
    private final Path workDir;
    private final boolean deleteWorkDir;
    private final Admin admin;
    private boolean closed;

    private EmbeddedKafkaBroker(Process process, int port, Path workDir, boolean deleteWorkDir, Admin admin) {
        this.process = process;
        this.port = port;
        this.workDir = workDir;
        this.deleteWorkDir = deleteWorkDir;
        this.admin = admin;
    }

    /**
     * Starts the broker and returns once it serves requests.
     *
     * @throws IllegalStateException if the requested port is in use (the message says so), or
     *         the broker exited or did not become ready within the start timeout (the message
     *         holds the end of its log); the child is not left running
     */
    public static EmbeddedKafkaBroker start(Options options) throws InterruptedException {
        if (options.port() != 0 && !isFree(options.port())) {
            throw portInUse(options.port());
        }
        long startNanos = System.nanoTime();
        long deadline = startNanos + options.startTimeout().toNanos();
        boolean temporary = options.workDir().isEmpty();
        Path workDir = createWorkDir(options.workDir());
        try {
            for (int attempt = 1; ; attempt++) {
                EmbeddedKafkaBroker broker = tryStart(options, workDir, temporary, deadline);
                if (broker != null) {
                    log.info("Kafka {} ready at {} in {} ms (pid {}, log {})", AppInfoParser.getVersion(),
                            broker.bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                            broker.process.pid(), broker.logFile());
                    return broker;
                }
                if (options.port() != 0 && !isFree(options.port())) {
                    throw portInUse(options.port());
                }
                if (attempt == START_ATTEMPTS) {
                    throw new IllegalStateException("Kafka broker could not bind its ports in "
                            + START_ATTEMPTS + " attempts; see " + workDir.resolve(BROKER_LOG));
                }
            }
        } catch (RuntimeException | InterruptedException e) {
            if (temporary) {
                deleteQuietly(workDir);
            }
            throw e;
        }
    }

    /** One launch of the child: the broker, or null when a chosen port was taken before it bound it. */
    private static EmbeddedKafkaBroker tryStart(Options options, Path workDir, boolean temporary, long deadline)
            throws InterruptedException {
        int[] ports = freePorts(options.port() == 0 ? 2 : 1);
        int controllerPort = ports[0];
        int port = options.port() == 0 ? ports[1] : options.port();
        Path logFile = workDir.resolve(BROKER_LOG);
        long logOffset = sizeOf(logFile);
        Process process = launch(options, workDir, port, controllerPort, temporary);
        ChildConsole console = ChildConsole.start(process);
        Admin admin = null;
        try {
            awaitReadyFile(process, workDir.resolve(KafkaBrokerMain.READY_FILE), deadline);
            admin = Admin.create(adminProperties(port));
            admin.describeCluster().clusterId().get(Math.max(1, remainingMillis(deadline)), TimeUnit.MILLISECONDS);
            return new EmbeddedKafkaBroker(process, port, workDir, temporary, admin);
        } catch (ChildExitedException e) {
            if (e.exitCode == KafkaBrokerMain.EXIT_PORT_IN_USE) {
                return null;
            }
            throw new IllegalStateException("Kafka broker exited with code " + e.exitCode + " while starting; "
                    + console.recentLines() + logTail(logFile, logOffset));
        } catch (TimeoutException | ExecutionException e) {
            closeQuietly(admin);
            destroy(process);
            throw new IllegalStateException("Kafka broker was not ready within " + options.startTimeout()
                    + " (" + e + "); " + console.recentLines() + logTail(logFile, logOffset));
        } catch (RuntimeException | InterruptedException e) {
            closeQuietly(admin);
            destroy(process);
            throw e;
        }
    }

    /** {@code 127.0.0.1:PORT}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return LOOPBACK + ":" + port;
    }

    public int port() {
        return port;
    }

    /** The broker's own log, INFO and up. */
    public Path logFile() {
        return workDir.resolve(BROKER_LOG);
    }

    /**
     * Creates a topic with replication factor 1, unless it exists (whatever its partition
     * count), and waits until every partition has a leader.
     */
    public void createTopic(String name, int partitions) throws InterruptedException {
        Objects.requireNonNull(name, "name");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        long deadline = System.nanoTime() + TOPIC_TIMEOUT.toNanos();
        try {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all()
                    .get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create topic " + name + ": " + e.getCause(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("topic " + name + " was not created within " + TOPIC_TIMEOUT, e);
        }
        awaitLeaders(name, deadline);
    }

    private void awaitLeaders(String topic, long deadline) throws InterruptedException {
        while (true) {
            try {
                TopicDescription description = admin.describeTopics(List.of(topic),
                                new DescribeTopicsOptions().timeoutMs((int) Math.max(1, remainingMillis(deadline))))
                        .allTopicNames().get().get(topic);
                if (description.partitions().stream().map(TopicPartitionInfo::leader)
                        .allMatch(leader -> leader != null && !leader.isEmpty())) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
                        && !(e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException)) {
                    throw new IllegalStateException("could not describe topic " + topic + ": " + e.getCause(),
                            e.getCause());
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("topic " + topic + " had no leader for every partition within "
                        + TOPIC_TIMEOUT);
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
    }

    /**
     * Kills the child with SIGKILL, as a crash would, and waits until it is gone. The work
     * directory stays until {@link #close()}.
     */
    public synchronized void kill() {
        closeQuietly(admin);
        process.destroyForcibly();
        awaitExit(KILL_TIMEOUT);
    }

    /**
     * Stops the broker gracefully (closes its stdin, waits up to 15 s, then kills it) and
     * deletes a temporary work directory. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(admin);
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            log.debug("Closing the Kafka broker's stdin failed; it is probably gone already", e);
        }
        if (!awaitExit(CLOSE_TIMEOUT)) {
            log.warn("Kafka broker did not stop within {} of being asked: killing it", CLOSE_TIMEOUT);
            process.destroyForcibly();
            awaitExit(KILL_TIMEOUT);
        }
        if (deleteWorkDir) {
            deleteQuietly(workDir);
        }
    }

    private boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + bootstrapServers() + ", pid " + process.pid() + ", " + workDir + "]";
    }

    private static Process launch(Options options, Path workDir, int port, int controllerPort, boolean temporary) {
        try {
            Path dataDir = workDir.resolve(DATA_DIR);
            Files.createDirectories(dataDir);
            Files.deleteIfExists(workDir.resolve(KafkaBrokerMain.READY_FILE));
            try (Writer writer = Files.newBufferedWriter(workDir.resolve(KafkaBrokerMain.SERVER_PROPERTIES))) {
                serverProperties(port, controllerPort, dataDir)
                        .store(writer, "written by " + EmbeddedKafkaBroker.class.getName());
            }
            // An argument file keeps a long classpath clear of command-line length limits.
            Path classpathArgs = workDir.resolve(CLASSPATH_ARGS);
            Files.writeString(classpathArgs, "-cp\n\"" + quoteForArgFile(absolute(options.classpath())) + "\"\n");

            Path logFile = workDir.resolve(BROKER_LOG);
            List<String> command = new ArrayList<>();
            command.add(javaExecutable());
            command.addAll(options.jvmOptions());
            command.add("-Dlogback.configurationFile=" + LOGBACK_CONFIG);
            command.add("-Dfanwire.broker.log=" + logFile);
            command.add("@" + classpathArgs);
            command.add(KafkaBrokerMain.class.getName());
            command.add(workDir.toString());
            if (temporary) {
                command.add(KafkaBrokerMain.DELETE_ON_EXIT);
            }
            // stdout carries only what Kafka's storage tool prints: into the log with the rest
            return new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectError(ProcessBuilder.Redirect.PIPE)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not launch the Kafka broker JVM", e);
        }
    }

    /** The configuration of a single node that is broker and controller, sized for one developer. */
    static Properties serverProperties(int port, int controllerPort, Path dataDir) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@" + LOOPBACK + ":" + controllerPort);
        p.setProperty("listeners",
                "PLAINTEXT://" + LOOPBACK + ":" + port + ",CONTROLLER://" + LOOPBACK + ":" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://" + LOOPBACK + ":" + port);
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("log.dirs", dataDir.toString());
        p.setProperty("num.partitions", "1");
        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("default.replication.factor", "1");
        p.setProperty("min.insync.replicas", "1");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // The cleaner looks for compactable logs every second instead of every 15: compacted topics, the usual
        // kind of snapshot topic, then behave in development and tests as they do under load in production.
        p.setProperty("log.cleaner.backoff.ms", "1000");
        return p;
    }

    private static void awaitReadyFile(Process process, Path readyFile, long deadline)
            throws ChildExitedException, TimeoutException, InterruptedException {
        while (!Files.exists(readyFile)) {
            if (!process.isAlive()) {
                throw new ChildExitedException(process.exitValue());
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new TimeoutException("the broker did not report that it serves requests");
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
    }

    private static Properties adminProperties(int port) {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, LOOPBACK + ":" + port);
        p.setProperty(AdminClientConfig.CLIENT_ID_CONFIG, "fanwire-embedded-kafka");
        return p;
    }

    private static void destroy(Process process) {
        process.destroyForcibly();
        try {
            process.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Distinct free ports: all sockets stay bound until all are chosen. */
    private static int[] freePorts(int count) {
        ServerSocket[] sockets = new ServerSocket[count];
        try {
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK));
            }
            return Arrays.stream(sockets).mapToInt(ServerSocket::getLocalPort).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException("could not find a free port on " + LOOPBACK, e);
        } finally {
            for (ServerSocket socket : sockets) {
                closeQuietly(socket);
            }
        }
    }

    private static IllegalStateException portInUse(int port) {
        return new IllegalStateException(
                "port " + port + " is in use: is another Kafka running? use --dev-kafka-port");
    }

    private static Path createWorkDir(Optional<Path> workDir) {
        try {
            return workDir.isPresent()
                    ? Files.createDirectories(workDir.get().toAbsolutePath())
                    : Files.createTempDirectory("fanwire-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create the Kafka work directory", e);
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Relative entries, as in {@code java -jar gateway/target/fanwire.jar}, made absolute. */
    private static String absolute(String classpath) {
        return Arrays.stream(classpath.split(File.pathSeparator))
                .filter(entry -> !entry.isEmpty())
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static String quoteForArgFile(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The last lines the child logged since {@code offset}, for an error message. */
    private static String logTail(Path logFile, long offset) {
        try (SeekableByteChannel channel = Files.newByteChannel(logFile)) {
            long start = Math.max(offset, channel.size() - LOG_TAIL_MAX_BYTES);
            channel.position(start);
            List<String> lines = new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8)
                    .lines().collect(Collectors.toList());
            if (lines.isEmpty()) {
                return "nothing new in " + logFile;
            }
            List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
            return "last lines of " + logFile + ":\n" + String.join("\n", tail);
        } catch (IOException e) {
            return "its log " + logFile + " is unreadable: " + e;
        }
    }

    private static long remainingMillis(long deadline) {
        return TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    }

    private static void deleteQuietly(Path dir) {
        try {
            KafkaBrokerMain.deleteRecursively(dir);
        } catch (UncheckedIOException e) {
            log.warn("Could not delete the Kafka work directory {}: {}", dir, e.getCause().toString());
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            if (closeable instanceof Admin admin) {
                admin.close(Duration.ofSeconds(5));
            } else {
                closeable.close();
            }
        } catch (Exception e) {
            log.debug("Ignored while closing {}", closeable, e);
        }
    }

    /**
     * Copies the child's stderr, line by line and prefixed, to this process's {@code System.err},
     * on its own daemon thread until the child exits, and keeps the last lines for error
     * messages: a child that cannot even start (bad classpath, bad JVM option) says why only there.
     */
    private static final class ChildConsole implements Runnable {
        private static final int KEPT_LINES = 20;

        private final InputStream stderr;
        private final Deque<String> recent = new ArrayDeque<>();
        private final Thread thread;

        private ChildConsole(Process process) {
            this.stderr = process.getErrorStream();
            this.thread = new Thread(this, "kafka-broker-stderr");
            thread.setDaemon(true);
        }

        static ChildConsole start(Process process) {
            ChildConsole console = new ChildConsole(process);
            console.thread.start();
            return console;
        }

        @Override
        public void run() {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stderr))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    System.err.println(CONSOLE_PREFIX + line);
                    synchronized (recent) {
                        if (recent.size() == KEPT_LINES) {
                            recent.removeFirst();
                        }
                        recent.addLast(line);
                    }
                }
            } catch (IOException e) {
                log.debug("Stopped copying the Kafka broker's stderr", e);
            }
        }

        /** The last lines of stderr, after giving an exited child a moment to finish writing. */
        String recentLines() throws InterruptedException {
            thread.join(1_000);
            synchronized (recent) {
                return recent.isEmpty() ? "" : "its stderr ended with:\n" + String.join("\n", recent) + "\n";
            }
        }
    }

    /** The child exited while we were waiting for it to become ready. */
    private static final class ChildExitedException extends Exception {
        final int exitCode;

        ChildExitedException(int exitCode) {
            super("exit code " + exitCode, null, false, false);
            this.exitCode = exitCode;
        }
    }
}
