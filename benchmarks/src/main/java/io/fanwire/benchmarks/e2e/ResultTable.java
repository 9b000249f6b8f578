package io.fanwire.benchmarks.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders runs as Markdown: per scenario, the median of each figure with (min–max), then ratios (Fanwire / peer;
 * for compression, plain / deflate bytes and deflate / plain CPU), then each takeover run's seconds in one line.
 * Stateless; any thread.
 */
final class ResultTable {

    private static final Map<String, String> COLUMNS = new LinkedHashMap<>();

    static {
        COLUMNS.put("offered_per_s", "offered/s");
        COLUMNS.put("delivered_per_s", "delivered/s");
        COLUMNS.put("server_cpu_ns_per_frame", "server CPU ns/frame");
        COLUMNS.put("server_cpu_cores", "server cores");
        COLUMNS.put("swarm_cpu_cores", "swarm cores");
        COLUMNS.put("p50_ms", "p50 ms");
        COLUMNS.put("p99_ms", "p99 ms");
        COLUMNS.put("floor_p50_ms", "Kafka floor p50 ms");
        COLUMNS.put("floor_p99_ms", "Kafka floor p99 ms");
        COLUMNS.put("p999_ms", "p99.9 ms");
        COLUMNS.put("max_ms", "max ms");
        COLUMNS.put("backlog_frames", "backlog");
        COLUMNS.put("consumer_lag", "Kafka lag");
        COLUMNS.put("heap_bytes", "heap MiB");
        COLUMNS.put("direct_bytes", "direct MiB");
        COLUMNS.put("rss_bytes", "RSS MiB");
        COLUMNS.put("frames_per_write_syscall", "frames per write syscall");
        COLUMNS.put("epoll_waits_per_s", "epoll waits/s");
        COLUMNS.put("heap_bytes_per_connection", "heap B/conn");
        COLUMNS.put("direct_bytes_per_connection", "direct B/conn");
        COLUMNS.put("rss_bytes_per_connection", "RSS B/conn");
        COLUMNS.put("sustained_delivered_per_s", "highest sustained delivered/s");
        COLUMNS.put("quote_size", "quote B");
        COLUMNS.put("wire_bytes_per_frame", "wire B/frame");
        COLUMNS.put("message_bytes_per_frame", "message B/frame");
        COLUMNS.put("seconds_to_keep_up", "s to keep up");
        COLUMNS.put("seconds_to_subscribe_all", "s until all subscribed");
        COLUMNS.put("ready_s", "s to ready");
        COLUMNS.put("resumed_records", "records to replay");
        COLUMNS.put("startup_cpu_s", "server CPU s to ready");
    }

    private ResultTable() {
    }

    static String markdown(List<RunResult> results, String machine) {
        StringBuilder out = new StringBuilder();
        out.append("Machine: ").append(machine).append("\n\n")
                .append("Each cell: median of the runs, (min–max) when there were several.\n");
        // Grouped by scenario first, in order of first appearance, so that each scenario gets one table even when
        // a target runs several scenarios in turn (compression's sizes and variants).
        List<String> scenarios = results.stream().map(RunResult::scenario).distinct().toList();
        Map<String, List<RunResult>> groups = new LinkedHashMap<>();
        for (String scenarioName : scenarios) {
            for (RunResult r : results) {
                if (r.scenario().equals(scenarioName)) {
                    groups.computeIfAbsent(r.group(), g -> new ArrayList<>()).add(r);
                }
            }
        }
        String scenario = null;
        List<String> columns = List.of();
        for (List<RunResult> group : groups.values()) {
            RunResult first = group.get(0);
            if (!first.scenario().equals(scenario)) {
                scenario = first.scenario();
                columns = COLUMNS.keySet().stream().filter(first.values()::containsKey).toList();
                out.append("\n### ").append(scenario).append("\n\n| clients | server |");
                columns.forEach(c -> out.append(' ').append(COLUMNS.get(c)).append(" |"));
                out.append("\n|---|---|");
                columns.forEach(c -> out.append("---|"));
                out.append('\n');
            }
            out.append("| ").append(first.clients()).append(" | ").append(first.target()).append(" |");
            for (String column : columns) {
                out.append(' ').append(cell(group, column)).append(" |");
            }
            out.append('\n');
        }
        out.append(ratios(groups));
        out.append(compressionRatios(groups));
        out.append(seriesLines(results));
        return out.toString();
    }

    /** Per compression scenario and server: plain / deflate wire bytes per frame, deflate / plain CPU per frame. */
    private static String compressionRatios(Map<String, List<RunResult>> groups) {
        StringBuilder out = new StringBuilder("\n### Compression (wire bytes plain / deflate: above 1 means "
                + "compression saves bytes; server CPU deflate / plain: above 1 means it costs CPU)\n\n");
        boolean any = false;
        for (List<RunResult> deflate : groups.values()) {
            RunResult d = deflate.get(0);
            if (!d.scenario().endsWith(CompressionScenario.DEFLATE)) {
                continue;
            }
            String plainScenario = d.scenario().substring(0, d.scenario().length()
                    - CompressionScenario.DEFLATE.length()) + CompressionScenario.PLAIN;
            List<RunResult> plain = groups.get(plainScenario + "|" + d.clients() + "|" + d.target());
            if (plain == null) {
                continue;
            }
            out.append(String.format(Locale.ROOT, "- %s, %s, %d clients: bytes %.2f, CPU %.2f%n",
                    plainScenario.substring(0, plainScenario.length() - CompressionScenario.PLAIN.length()),
                    d.target(), d.clients(),
                    median(plain, "wire_bytes_per_frame") / median(deflate, "wire_bytes_per_frame"),
                    median(deflate, "server_cpu_ns_per_frame") / median(plain, "server_cpu_ns_per_frame")));
            any = true;
        }
        return any ? out.toString() : "";
    }

    /**
     * One line per run that has a per-second series: delivered k/s and p99 ms per second, and the connections
     * subscribed by the end of that second where the series has them.
     */
    private static String seriesLines(List<RunResult> results) {
        StringBuilder out = new StringBuilder(
                "\n### Per second (second: delivered k/s, p99 ms[, connections subscribed so far])\n\n");
        boolean any = false;
        for (RunResult r : results) {
            if (r.series().isEmpty()) {
                continue;
            }
            out.append("- ").append(r.scenario()).append(", ").append(r.target()).append(", ").append(r.clients())
                    .append(" clients, run ").append(r.run()).append(':');
            for (int s = 0; s < r.series().size(); s++) {
                Map<String, Double> second = r.series().get(s);
                out.append(s == 0 ? " " : "; ").append(s).append(": ")
                        .append(fmt(second.getOrDefault("delivered_per_s", Double.NaN) / 1000, false)).append("k, ")
                        .append(fmt(second.getOrDefault("p99_ms", Double.NaN), false));
                if (second.containsKey("subscribed")) {
                    out.append(", ").append(fmt(second.get("subscribed"), false));
                }
            }
            out.append('\n');
            any = true;
        }
        return any ? out.toString() : "";
    }

    private static String ratios(Map<String, List<RunResult>> groups) {
        StringBuilder out = new StringBuilder("\n### Fanwire / peer (server CPU per delivered frame; below 1 means Fanwire spends less)\n\n");
        boolean any = false;
        for (List<RunResult> fanwire : groups.values()) {
            RunResult f = fanwire.get(0);
            if (!f.target().equals("fanwire") || !f.values().containsKey("server_cpu_ns_per_frame")) {
                continue;
            }
            for (List<RunResult> peer : groups.values()) {
                RunResult p = peer.get(0);
                if (p.target().equals("fanwire") || !p.scenario().equals(f.scenario()) || p.clients() != f.clients()) {
                    continue;
                }
                double ratio = median(fanwire, "server_cpu_ns_per_frame") / median(peer, "server_cpu_ns_per_frame");
                out.append(String.format(Locale.ROOT, "- %s, %d clients: fanwire/%s = %.2f%n", f.scenario(),
                        f.clients(), p.target(), ratio));
                any = true;
            }
        }
        return any ? out.toString() : "";
    }

    private static String cell(List<RunResult> group, String column) {
        double[] values = group.stream().mapToDouble(r -> r.values().getOrDefault(column, Double.NaN))
                .filter(Double::isFinite).sorted().toArray();
        if (values.length == 0) {
            return "–";
        }
        boolean mib = column.endsWith("_bytes");
        String median = fmt(median(values), mib);
        return values.length == 1 ? median
                : median + " (" + fmt(values[0], mib) + "–" + fmt(values[values.length - 1], mib) + ")";
    }

    private static double median(List<RunResult> group, String column) {
        return median(group.stream().mapToDouble(r -> r.values().getOrDefault(column, Double.NaN))
                .filter(Double::isFinite).sorted().toArray());
    }

    private static double median(double[] sorted) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static String fmt(double value, boolean mib) {
        if (!Double.isFinite(value)) {
            return "–";
        }
        if (mib) {
            return String.format(Locale.ROOT, "%.1f", value / (1 << 20));
        }
        if (Math.abs(value) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        return String.format(Locale.ROOT, Math.abs(value) >= 10 ? "%.1f" : "%.2f", value);
    }
}
