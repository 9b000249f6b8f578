package io.fanwire.benchmarks.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * The client swarm: several {@link SwarmMain} processes (at most {@value #CLIENTS_PER_PROCESS} clients
 * each, under the 20,000 open files a process may have here), their connections spread over the source
 * addresses 127.0.0.2 to 127.0.0.5. Started connected ({@link #start}), or started waiting and connected later
 * ({@link #launch}, {@link #connect}) so that its JVMs are up before the server is. Used by the runner's thread.
 */
final class Swarm implements AutoCloseable {

    static final int CLIENTS_PER_PROCESS = 10_000;
    private static final Pattern REPORT = Pattern.compile(
            "REPORT \\{\"frames\":(\\d+),\"disconnects\":(\\d+),\"closedByServer\":(\\d+),\"errors\":(\\d+),"
                    + "\"wireBytes\":(\\d+),\"messageBytes\":(\\d+),\"histogram\":\"([^\"]*)\"\\}");
    private static final Pattern TIMELINE = Pattern.compile(
            "TIMELINE \\{\"origin\":(-?\\d+),\"buckets\":\\[(.*)],\"subscribed\":\\[([\\d,]*)]}");

    /**
     * Frames, merged latency (microseconds), bytes of the record frames on the wire (headers included, before
     * inflation) and of the messages they carried, of one measurement window.
     */
    record Report(long frames, long disconnects, Histogram latencyMicros, long wireBytes, long messageBytes) {
    }

    /**
     * The per-second buckets of every process, merged by index: bucket s holds second s after each one's origin;
     * {@code subscribed}: connections whose subscription was answered in each second.
     */
    record Timeline(List<Histogram> seconds, List<Integer> subscribed, long originSpreadNanos) {
    }

    private final List<ChildProcess> processes;

    private Swarm(List<ChildProcess> processes) {
        this.processes = processes;
    }

    /** The last lines each swarm process printed, for a failed run's log. */
    String tail() {
        StringBuilder out = new StringBuilder();
        for (int p = 0; p < processes.size(); p++) {
            out.append("swarm-").append(p).append(":\n").append(processes.get(p).tail()).append('\n');
        }
        return out.toString();
    }

    static Swarm start(Path repo, int port, int clients, Subscriptions subscriptions) throws Exception {
        return start(repo, port, clients, subscriptions, SwarmConfig.PLAIN);
    }

    /** A swarm whose clients are connected and subscribed. */
    static Swarm start(Path repo, int port, int clients, Subscriptions subscriptions, SwarmConfig config)
            throws Exception {
        Swarm swarm = launch(repo, "127.0.0.1:" + port, clients, subscriptions, config);
        swarm.awaitReady();
        return swarm;
    }

    /** A swarm whose processes are up and wait for {@link #connect}. */
    static Swarm launch(Path repo, int clients, Subscriptions subscriptions, SwarmConfig config) throws Exception {
        Swarm swarm = launch(repo, null, clients, subscriptions, config);
        try {
            for (ChildProcess process : swarm.processes) {
                process.awaitLine(line -> line.equals("WAITING"), Duration.ofSeconds(60));
            }
            return swarm;
        } catch (Exception | Error e) {
            swarm.close();
            throw e;
        }
    }

    /**
     * Tells every waiting process to connect to {@code port} now, every subscription resuming from {@code resume}
     * (empty: live); {@link #awaitReady} waits for the result. Returns the moment ({@link System#nanoTime()}, the
     * same clock in every process here) at which the first process started connecting: the timeline's origin.
     */
    long connect(int port, List<SwarmConfig.Position> resume) throws Exception {
        for (ChildProcess process : processes) {
            process.send(("CONNECT 127.0.0.1:" + port + " " + SwarmConfig.render(resume)).strip());
        }
        long origin = Long.MAX_VALUE;
        for (ChildProcess process : processes) {
            String line = process.awaitLine(l -> l.startsWith("CONNECTING "), Duration.ofSeconds(30));
            origin = Math.min(origin, Long.parseLong(line.substring("CONNECTING ".length()).trim()));
        }
        return origin;
    }

    /** Waits until every process has all its clients subscribed; fails with what a process reported if not. */
    void awaitReady() throws Exception {
        try {
            for (ChildProcess process : processes) {
                String line = process.awaitLine(l -> l.startsWith("READY") || l.startsWith("FAILED"),
                        Duration.ofSeconds(180));
                if (line.startsWith("FAILED")) {
                    throw new IllegalStateException("swarm: " + line);
                }
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    private static Swarm launch(Path repo, String target, int clients, Subscriptions subscriptions,
                                SwarmConfig config) throws Exception {
        int processCount = clients <= 2_000 ? 1 : Math.max(2, (clients + CLIENTS_PER_PROCESS - 1) / CLIENTS_PER_PROCESS);
        List<ChildProcess> processes = new ArrayList<>();
        Swarm swarm = new Swarm(processes);
        try {
            int first = 0;
            for (int p = 0; p < processCount; p++) {
                int count = clients / processCount + (p < clients % processCount ? 1 : 0);
                List<String> command = new ArrayList<>(List.of(
                        ProcessHandle.current().info().command().orElse("java"),
                        "-Xms256m", "-Xmx1g", "-XX:+UseParallelGC", "-cp",
                        repo.resolve("benchmarks/target/benchmarks.jar").toString(), SwarmMain.class.getName(),
                        "--clients", Integer.toString(count),
                        "--first-client", Integer.toString(first), "--subscribe", subscriptions.spec(),
                        "--sources", "127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5"));
                if (target != null) {
                    command.addAll(List.of("--target", target));
                }
                command.addAll(config.flags());
                if (config.deflate()) {
                    // Inflating every message costs the swarm a few microseconds each: on its default single
                    // event loop, 1,000 clients at 250,000 messages/s fell behind, the servers' sockets filled,
                    // and their CPU per frame measured the backpressure instead of the compression.
                    command.addAll(List.of("--threads", "2"));
                }
                processes.add(ChildProcess.start("swarm-" + p, command, Map.of(), repo));
                first += count;
            }
            return swarm;
        } catch (Exception | Error e) {
            swarm.close();
            throw e;
        }
    }

    List<Long> pids() {
        return processes.stream().map(ChildProcess::pid).toList();
    }

    void reset() throws Exception {
        for (ChildProcess process : processes) {
            process.send("RESET");
        }
        for (ChildProcess process : processes) {
            process.awaitLine(line -> line.equals("RESET"), Duration.ofSeconds(30));
        }
    }

    Report report() throws Exception {
        for (ChildProcess process : processes) {
            process.send("REPORT");
        }
        long frames = 0;
        long disconnects = 0;
        long wireBytes = 0;
        long messageBytes = 0;
        Histogram merged = new Histogram(60_000_000L, 3);
        for (ChildProcess process : processes) {
            Matcher m = REPORT.matcher(process.awaitLine(line -> line.startsWith("REPORT "), Duration.ofSeconds(30)));
            if (!m.matches()) {
                throw new IllegalStateException("bad report from swarm: " + process.tail());
            }
            frames += Long.parseLong(m.group(1));
            disconnects += Long.parseLong(m.group(2));
            wireBytes += Long.parseLong(m.group(5));
            messageBytes += Long.parseLong(m.group(6));
            merged.add(HistogramText.decode(m.group(7)));
        }
        return new Report(frames, disconnects, merged, wireBytes, messageBytes);
    }

    /** Every process's per-second buckets (needs {@link SwarmConfig#timeline}); read once, at the end. */
    Timeline timeline() throws Exception {
        for (ChildProcess process : processes) {
            process.send("TIMELINE");
        }
        List<Histogram> seconds = new ArrayList<>();
        List<Integer> subscribed = new ArrayList<>();
        long minOrigin = Long.MAX_VALUE;
        long maxOrigin = Long.MIN_VALUE;
        for (ChildProcess process : processes) {
            Matcher m = TIMELINE.matcher(process.awaitLine(line -> line.startsWith("TIMELINE "), Duration.ofSeconds(30)));
            if (!m.matches()) {
                throw new IllegalStateException("bad timeline from swarm: " + process.tail());
            }
            long origin = Long.parseLong(m.group(1));
            minOrigin = Math.min(minOrigin, origin);
            maxOrigin = Math.max(maxOrigin, origin);
            String buckets = m.group(2);
            List<String> encoded = buckets.isEmpty() ? List.of() : List.of(buckets.replace("\"", "").split(","));
            for (int s = 0; s < encoded.size(); s++) {
                if (seconds.size() <= s) {
                    seconds.add(new Histogram(60_000_000L, 2));
                }
                seconds.get(s).add(HistogramText.decode(encoded.get(s)));
            }
            String[] counts = m.group(3).isEmpty() ? new String[0] : m.group(3).split(",");
            for (int s = 0; s < counts.length; s++) {
                if (subscribed.size() <= s) {
                    subscribed.add(0);
                }
                subscribed.set(s, subscribed.get(s) + Integer.parseInt(counts[s]));
            }
        }
        return new Timeline(seconds, subscribed, processes.isEmpty() ? 0 : maxOrigin - minOrigin);
    }

    long cpuNanos() {
        return processes.stream().mapToLong(p -> ProcStat.cpuNanos(p.pid())).sum();
    }

    @Override
    public void close() throws InterruptedException {
        for (ChildProcess process : processes) {
            try {
                process.send("QUIT");
            } catch (Exception ignored) {
                // Already gone.
            }
        }
        for (ChildProcess process : processes) {
            process.stop(Duration.ofSeconds(10));
        }
    }
}
