package io.fanwire.benchmarks.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of one run of one scenario against one target. {@code values} keeps insertion order, which
 * is the column order of the report; {@code series} holds per-second figures of the scenarios that have them
 * ({@code takeover}), oldest first; {@code notes} says how the server ran (for Fanwire: its JVM and options).
 */
record RunResult(String scenario, String target, int clients, int run, Map<String, Double> values,
                 List<Map<String, Double>> series, Map<String, String> notes) {

    RunResult {
        values = new LinkedHashMap<>(values);
        series = series.stream().map(LinkedHashMap::new).map(m -> (Map<String, Double>) m).toList();
        notes = new LinkedHashMap<>(notes);
    }

    RunResult(String scenario, String target, int clients, int run, Map<String, Double> values) {
        this(scenario, target, clients, run, values, List.of(), Map.of());
    }

    RunResult withNotes(Map<String, String> more) {
        Map<String, String> all = new LinkedHashMap<>(notes);
        all.putAll(more);
        return new RunResult(scenario, target, clients, run, values, series, all);
    }

    String group() {
        return scenario + "|" + clients + "|" + target;
    }

    String json() {
        StringBuilder out = new StringBuilder();
        out.append("{\"scenario\":\"").append(scenario).append("\",\"target\":\"").append(target)
                .append("\",\"clients\":").append(clients).append(",\"run\":").append(run);
        notes.forEach((name, value) -> out.append(",\"").append(name).append("\":\"")
                .append(value.replace("\\", "\\\\").replace("\"", "\\\"")).append('"'));
        values.forEach((name, value) -> out.append(",\"").append(name).append("\":").append(number(value)));
        if (!series.isEmpty()) {
            out.append(",\"series\":[");
            for (int i = 0; i < series.size(); i++) {
                out.append(i == 0 ? "{" : ",{");
                String sep = "";
                for (Map.Entry<String, Double> e : series.get(i).entrySet()) {
                    out.append(sep).append('"').append(e.getKey()).append("\":").append(number(e.getValue()));
                    sep = ",";
                }
                out.append('}');
            }
            out.append(']');
        }
        return out.append('}').toString();
    }

    private static String number(double value) {
        return Double.isFinite(value) ? format(value) : "null";
    }

    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(java.util.Locale.ROOT, "%.3f", value);
    }
}
