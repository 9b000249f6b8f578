package io.fanwire.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A short run of every simulation against a real target the test starts itself (a Kafka broker and two
 * gateway nodes in production mode, with tokens, on loopback ports the system picks), each of which must
 * pass its own assertions; then runs that must fail — a stopped target, a refused token, a target that
 * closes every connection — each with the reason in Gatling's output, and none hanging.
 *
 * <p>The runs are small (tens of users, seconds): they show that each simulation works end to end and
 * that its assertions decide the exit code, not how fast anything is. The p99 bound is loose for that
 * reason; the failure and "every record received" assertions are the real ones.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SimulationSmokeIT {

    private static final Path RESULTS = Path.of("target", "gatling-smoke");
    private static final Duration RUN_LIMIT = Duration.ofSeconds(100);

    private static LocalTarget target;

    @BeforeAll
    static void startTarget() throws Exception {
        target = LocalTarget.start(2);
    }

    @AfterAll
    static void stopTarget() {
        if (target != null) {
            target.close();
        }
    }

    private static Map<String, String> knobs(String... pairs) {
        Map<String, String> knobs = new HashMap<>();
        knobs.put(Knob.URL.key(), target.urls());
        knobs.put(Knob.KAFKA_BOOTSTRAP.key(), target.bootstrapServers());
        knobs.put(Knob.TOKEN_SECRET.key(), LocalTarget.SECRET);
        knobs.put(Knob.USERS.key(), "20");
        knobs.put(Knob.RAMP.key(), "2");
        knobs.put(Knob.DURATION.key(), "4");
        knobs.put(Knob.TIMEOUT.key(), "5");
        knobs.put(Knob.DRAIN.key(), "5");
        knobs.put(Knob.MAX_P99_MS.key(), "5000");
        for (int i = 0; i < pairs.length; i += 2) {
            knobs.put(pairs[i], pairs[i + 1]);
        }
        return knobs;
    }

    private static GatlingRun passes(Class<?> simulation, Map<String, String> knobs, String... requests)
            throws Exception {
        GatlingRun run = GatlingRun.run(simulation, knobs, RESULTS.resolve(simulation.getSimpleName()), RUN_LIMIT);
        assertEquals(0, run.exitCode(), simulation.getSimpleName() + " failed:\n" + run.output());
        assertTrue(run.output().contains(": true"), "its assertions ran:\n" + run.output());
        for (String request : requests) {
            assertTrue(run.output().contains("> " + request), "the report has " + request + ":\n" + run.output());
        }
        try (Stream<Path> reports = Files.walk(run.resultsFolder())) {
            assertTrue(reports.anyMatch(p -> p.getFileName().toString().equals("index.html")),
                    "an HTML report was written under " + run.resultsFolder());
        }
        return run;
    }

    @Test
    void connectAndSubscribeWithSnapshotsOverProtobuf() throws Exception {
        passes(ConnectAndSubscribeSimulation.class, knobs(Knob.SUBPROTOCOL.key(), "proto"),
                UserSteps.UPGRADE, UserSteps.SUBSCRIBED, UserSteps.FIRST_RECORD, UserSteps.STILL_CONNECTED);
    }

    @Test
    void fanoutToPerUserInboxes() throws Exception {
        passes(FanoutSimulation.class, knobs(Knob.CHANNEL.key(), "inbox/{sub}", Knob.RATE.key(), "40"),
                UserSteps.DELIVERY, UserSteps.EVERY_RECORD, UserSteps.PRODUCE);
    }

    @Test
    void roundTripOverProtobuf() throws Exception {
        passes(RoundTripSimulation.class, knobs(Knob.USERS.key(), "5", Knob.RATE.key(), "10",
                Knob.SUBPROTOCOL.key(), "proto"), UserSteps.ROUND_TRIP);
    }

    @Test
    void resumeOnTheOtherNode() throws Exception {
        passes(ResumeSimulation.class, knobs(Knob.USERS.key(), "10", Knob.RATE.key(), "40", Knob.KEYS.key(), "4",
                        Knob.DURATION.key(), "5", Knob.RECONNECT_AFTER.key(), "2", Knob.OFFLINE.key(), "1"),
                UserSteps.RECONNECT, UserSteps.RESUMED, UserSteps.EVERY_RECORD);
    }

    @Test
    void shortSoak() throws Exception {
        passes(SoakSimulation.class, knobs(Knob.DURATION.key(), "6", Knob.RATE.key(), "40", Knob.KEYS.key(), "4",
                        Knob.SUBPROTOCOL.key(), "proto", Knob.SOAK_KEYED.key(), "40",
                        Knob.SOAK_PUBLISHERS.key(), "10", Knob.SOAK_RECONNECTING.key(), "50",
                        Knob.RECONNECT_AFTER.key(), "2", Knob.OFFLINE.key(), "0.5"),
                UserSteps.DELIVERY, UserSteps.EVERY_RECORD, UserSteps.ROUND_TRIP, UserSteps.RESUMED);
    }

    /**
     * Three users, each sent to another bad target: one port where nothing listens, one server that closes
     * every connection at once, and a real node that refuses the users' tokens (signed with another
     * secret). The run must end, fail its assertions, and name each cause.
     */
    @Test
    void badTargetsFailTheRunWithTheirReasons() throws Exception {
        int stopped;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            stopped = free.getLocalPort();
        }
        try (ServerSocket closer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                while (!closer.isClosed()) {
                    try (Socket client = closer.accept()) {
                        client.getInputStream().read(); // the upgrade request has begun: close before answering
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "closing-target");
            acceptor.setDaemon(true);
            acceptor.start();
            String node = target.urls().split(",")[0];
            Map<String, String> knobs = knobs(
                    Knob.URL.key(), "ws://127.0.0.1:" + stopped + "/ws,ws://127.0.0.1:" + closer.getLocalPort()
                            + "/ws," + node,
                    Knob.TOKEN_SECRET.key(), "not-the-gateway-secret-0123456789-abcdef",
                    Knob.USERS.key(), "3", Knob.RAMP.key(), "1", Knob.DURATION.key(), "1");
            GatlingRun run = GatlingRun.run(ConnectAndSubscribeSimulation.class, knobs, RESULTS.resolve("bad-targets"),
                    RUN_LIMIT);
            assertNotEquals(0, run.exitCode(), "bad targets must fail the run:\n" + run.output());
            assertTrue(run.output().contains("percentage of failed events is less than or equal to 1.0 : false"),
                    "the failure assertion failed:\n" + run.output());
            for (String reason : new String[] {"Connection refused", "Premature close", "getStatus: 401"}) {
                assertTrue(run.output().contains(reason), "the output names " + reason + ":\n" + run.output());
            }
        }
    }
}
