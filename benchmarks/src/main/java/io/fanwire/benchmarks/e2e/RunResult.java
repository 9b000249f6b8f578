package io.fanwire.benchmarks.e2e;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The figures of one run of one scenario against one target. {@code values} keeps insertion order, which
 * is the column order of the report.
 */
record RunResult(String scenario, String target, int clients, int run, Map<String, Double> values) {

    RunResult {
        values = new LinkedHashMap<>(values);
    }

    String group() {
        return scenario + "|" + clients + "|" + target;
    }

    String json() {
        StringBuilder out = new StringBuilder();
        out.append("{\"scenario\":\"").append(scenario).append("\",\"target\":\"").append(target)
                .append("\",\"clients\":").append(clients).append(",\"run\":").append(run);
        values.forEach((name, value) -> out.append(",\"").append(name).append("\":")
                .append(Double.isFinite(value) ? format(value) : "null"));
        return out.append('}').toString();
    }

    static String format(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : String.format(java.util.Locale.ROOT, "%.3f", value);
    }
}
