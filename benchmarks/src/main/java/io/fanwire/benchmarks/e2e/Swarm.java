package io.fanwire.benchmarks.e2e;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * The client swarm: several {@link SwarmMain} processes (at most {@value #CLIENTS_PER_PROCESS} clients
 * each, under the 20,000 open files a process may have here), their connections spread over the source
 * addresses 127.0.0.2 to 127.0.0.5.
 */
final class Swarm implements AutoCloseable {

    static final int CLIENTS_PER_PROCESS = 10_000;
    private static final Pattern REPORT = Pattern.compile(
            "REPORT \\{\"frames\":(\\d+),\"disconnects\":(\\d+),\"closedByServer\":(\\d+),\"errors\":(\\d+),\"histogram\":\"([^\"]*)\"\\}");

    /** Frames and merged latency (microseconds) of one measurement window. */
    record Report(long frames, long disconnects, Histogram latencyMicros) {
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
        int processCount = clients <= 2_000 ? 1 : Math.max(2, (clients + CLIENTS_PER_PROCESS - 1) / CLIENTS_PER_PROCESS);
        List<ChildProcess> processes = new ArrayList<>();
        Swarm swarm = new Swarm(processes);
        try {
            int first = 0;
            for (int p = 0; p < processCount; p++) {
                int count = clients / processCount + (p < clients % processCount ? 1 : 0);
                List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"),
                        "-Xms256m", "-Xmx1g", "-XX:+UseParallelGC", "-cp",
                        repo.resolve("benchmarks/target/benchmarks.jar").toString(), SwarmMain.class.getName(),
                        "--target", "127.0.0.1:" + port, "--clients", Integer.toString(count),
                        "--first-client", Integer.toString(first), "--subscribe", subscriptions.spec(),
                        "--sources", "127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5");
                processes.add(ChildProcess.start("swarm-" + p, command, Map.of(), repo));
                first += count;
            }
            for (ChildProcess process : processes) {
                process.awaitLine(line -> line.startsWith("READY"), Duration.ofSeconds(180));
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
        Histogram merged = new Histogram(60_000_000L, 3);
        for (ChildProcess process : processes) {
            Matcher m = REPORT.matcher(process.awaitLine(line -> line.startsWith("REPORT "), Duration.ofSeconds(30)));
            if (!m.matches()) {
                throw new IllegalStateException("bad report from swarm: " + process.tail());
            }
            frames += Long.parseLong(m.group(1));
            disconnects += Long.parseLong(m.group(2));
            merged.add(Histogram.decodeFromCompressedByteBuffer(
                    ByteBuffer.wrap(Base64.getDecoder().decode(m.group(5))), 0));
        }
        return new Report(frames, disconnects, merged);
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
