package io.fanwire.benchmarks.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders runs as Markdown: per scenario, the median of each figure with (min–max), then ratios. */
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
    }

    private ResultTable() {
    }

    static String markdown(List<RunResult> results, String machine) {
        StringBuilder out = new StringBuilder();
        out.append("Machine: ").append(machine).append("\n\n")
                .append("Each cell: median of the runs, (min–max) when there were several.\n");
        Map<String, List<RunResult>> groups = new LinkedHashMap<>();
        for (RunResult r : results) {
            groups.computeIfAbsent(r.group(), g -> new ArrayList<>()).add(r);
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
        return out.toString();
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
        if (mib) {
            return String.format(Locale.ROOT, "%.1f", value / (1 << 20));
        }
        if (Math.abs(value) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        return String.format(Locale.ROOT, Math.abs(value) >= 10 ? "%.1f" : "%.2f", value);
    }
}
