package io.fanwire.benchmarks.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.client.FanwireClient;
import io.fanwire.client.SubscribeOptions;
import io.fanwire.client.Subscription;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The local cluster as a user runs it: {@code deploy/local/cluster up} (three KRaft brokers, three nodes in
 * production mode with the PROXY protocol, HAProxy, the demo feed), a client through the balancer, the short
 * chaos run with its five faults, then {@code down}, which must leave no process; and the two ways {@code up}
 * must refuse to start: a cluster that is up already, and a port that is taken. Needs Debian's haproxy
 * ({@code .ci/run} installs it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterIT {

    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path CLUSTER = REPO.resolve("deploy/local/cluster");
    /** Below the kernel's ephemeral range, so no test's client socket holds one of these ports. */
    private static final int BASE_PORT = 27000;
    private static final Path DIR = REPO.resolve("benchmarks/target/local-cluster");

    @AfterAll
    static void down() throws Exception {
        run(60, CLUSTER.toString(), "down");
    }

    @Test
    @Order(1)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void upServesTheDemoFeedThroughTheBalancerAndRefusesASecondUp() throws Exception {
        Result up = run(150, CLUSTER.toString(), "up");
        assertEquals(0, up.status, up.output);
        assertTrue(up.output.contains("ws://127.0.0.1:" + (BASE_PORT + 80) + "/ws"), up.output);

        Result status = run(30, CLUSTER.toString(), "status");
        assertEquals(0, status.status, status.output);
        assertEquals(8, status.output.lines().filter(line -> line.matches(".*(ready|serving|running.*)$")).count(),
                status.output);

        Result again = run(30, CLUSTER.toString(), "up");
        assertEquals(1, again.status, again.output);
        assertTrue(again.output.contains("the cluster is up already"), again.output);
        assertEquals(0, run(30, CLUSTER.toString(), "status").status, "a refused second up stops nothing");

        String token = run(10, CLUSTER.toString(), "token", "demo", "600").output.trim();
        AtomicInteger quotes = new AtomicInteger();
        try (FanwireClient client = FanwireClient.builder("ws://127.0.0.1:" + (BASE_PORT + 80) + "/ws")
                .token(() -> token).build()) {
            Subscription subscription = client.subscribe("quotes", SubscribeOptions.DEFAULT,
                    message -> quotes.incrementAndGet());
            subscription.ready().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (quotes.get() < 20 && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }
        assertTrue(quotes.get() >= 20, "live quotes through HAProxy: " + quotes.get());
    }

    @Test
    @Order(2)
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void everyFaultOfTheShortChaosRunLosesNothing() throws Exception {
        Result chaos = run(450, REPO.resolve("deploy/local/chaos").toString(), "--short");
        assertEquals(0, chaos.status, chaos.output);
        List<String> rows = chaos.output.lines()
                .filter(line -> line.matches("\\| (node-kill|rolling-restart|broker-kill|broker-stop|balancer-reload) .*"))
                .toList();
        assertEquals(5, rows.size(), chaos.output);
        for (String row : rows) {
            String[] cells = row.split("\\|");
            assertEquals("0", cells[5].trim(), "lost: " + row);
            assertEquals("0", cells[6].trim(), "duplicates: " + row);
            assertEquals("0", cells[7].trim(), "out of order: " + row);
            assertTrue(Long.parseLong(cells[4].trim().replace(",", "")) > 0, "deliveries: " + row);
        }
    }

    @Test
    @Order(3)
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void downLeavesNoProcess() throws Exception {
        List<Long> pids = pids();
        assertEquals(8, pids.size(), "pid files of a running cluster: " + pids);
        Result down = run(90, CLUSTER.toString(), "down");
        assertEquals(0, down.status, down.output);
        for (long pid : pids) {
            assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "process " + pid + " still runs");
        }
        assertTrue(!Files.exists(DIR), DIR + " is deleted");
    }

    @Test
    @Order(4)
    @Timeout(value = 1, unit = TimeUnit.MINUTES)
    void aTakenPortStopsUpBeforeAnythingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.setReuseAddress(true);
            taken.bind(new java.net.InetSocketAddress(InetAddress.getByName("127.0.0.1"), BASE_PORT + 1191));
            Result up = run(30, CLUSTER.toString(), "up");
            assertEquals(1, up.status, up.output);
            assertTrue(up.output.contains("port " + (BASE_PORT + 1191) + " (controller-1) is in use"), up.output);
            assertTrue(up.output.contains("nothing was started"), up.output);
        }
        assertTrue(!Files.exists(DIR) || pids().isEmpty(), "no pid file: nothing started");
    }

    private static List<Long> pids() throws IOException {
        List<Long> pids = new ArrayList<>();
        if (Files.isDirectory(DIR)) {
            try (var files = Files.list(DIR)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".pid")).toList()) {
                    pids.add(Long.parseLong(Files.readString(file).trim()));
                }
            }
        }
        return pids;
    }

    private record Result(int status, String output) {
    }

    private static Result run(int timeoutSeconds, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = new HashMap<>(builder.environment());
        builder.environment().put("FANWIRE_CLUSTER_DIR", DIR.toString());
        builder.environment().put("FANWIRE_CLUSTER_BASE_PORT", Integer.toString(BASE_PORT));
        builder.environment().put("JAVA", ProcessHandle.current().info().command().orElse(env.getOrDefault("JAVA", "java")));
        Path log = Files.createTempFile("local-cluster", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        process.getOutputStream().close();
        boolean exited = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        return new Result(exited ? process.exitValue() : -1, output);
    }
}
