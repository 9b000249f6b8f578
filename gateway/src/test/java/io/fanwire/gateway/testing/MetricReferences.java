package io.fanwire.gateway.testing;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names that monitoring files refer to: the PromQL of a Grafana dashboard (panel targets, query
 * variables) and the {@code expr}s of a Prometheus rule file. What {@code MonitoringContractIT} compares
 * with a node's {@code /metrics}, so that a dashboard or an alert cannot silently point at a metric that is
 * not there.
 *
 * <p>PromQL is reduced, not fully parsed: strings, label matchers, range and subquery brackets, Grafana
 * variables and the label lists of {@code by}, {@code without}, {@code on}, {@code ignoring},
 * {@code group_left} and {@code group_right} are removed; of the identifiers left, those followed by
 * {@code (} are functions or aggregations and a few are keywords; the rest are metric names. Names must be
 * written as identifiers: a selector by {@code {__name__="..."}} is not seen.
 */
public final class MetricReferences {

    private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{[^}]*}|\\$\\w+");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
    private static final Pattern LABEL_LIST =
            Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern TOKEN = Pattern.compile("[0-9][0-9A-Za-z_.]*|([A-Za-z_:][A-Za-z0-9_:]*)");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "offset", "bool", "by", "without",
            "on", "ignoring", "group_left", "group_right", "atan2", "inf", "nan");
    /** Grafana's {@code label_values(METRIC, LABEL)}: the PromQL is the first argument. */
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*\\w+\\s*\\)\\s*$");
    private static final Pattern EXPR_KEY = Pattern.compile("^(\\s*)(?:-\\s+)?expr:\\s*(.*)$");

    private MetricReferences() {
    }

    /** The metric names in one PromQL expression. */
    public static Set<String> inPromQl(String expr) {
        String reduced = GRAFANA_VARIABLE.matcher(expr).replaceAll(" ");
        reduced = STRING.matcher(reduced).replaceAll(" ");
        reduced = MATCHERS.matcher(reduced).replaceAll(" ");
        reduced = RANGE.matcher(reduced).replaceAll(" ");
        reduced = LABEL_LIST.matcher(reduced).replaceAll(" ");
        Set<String> names = new TreeSet<>();
        Matcher token = TOKEN.matcher(reduced);
        while (token.find()) {
            String name = token.group(1);
            if (name == null || KEYWORDS.contains(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            int next = token.end();
            while (next < reduced.length() && Character.isWhitespace(reduced.charAt(next))) {
                next++;
            }
            if (next < reduced.length() && reduced.charAt(next) == '(') {
                continue;
            }
            names.add(name);
        }
        return names;
    }

    /**
     * The PromQL of a Grafana dashboard: every {@code expr} anywhere in it (panel targets, rows' panels) and
     * the query of every query variable, by JSON path for messages.
     */
    public static Map<String, String> dashboardQueries(JsonElement dashboard) {
        Map<String, String> queries = new LinkedHashMap<>();
        collectExprs(dashboard, "$", queries);
        JsonObject templating = dashboard.getAsJsonObject().getAsJsonObject("templating");
        if (templating != null) {
            for (JsonElement variable : templating.getAsJsonArray("list")) {
                JsonObject v = variable.getAsJsonObject();
                if (!"query".equals(v.get("type").getAsString())) {
                    continue;
                }
                JsonElement query = v.get("query");
                String text = query.isJsonObject() ? query.getAsJsonObject().get("query").getAsString()
                        : query.getAsString();
                Matcher labelValues = LABEL_VALUES.matcher(text);
                queries.put("templating." + v.get("name").getAsString(),
                        labelValues.matches() ? labelValues.group(1) : text);
            }
        }
        return queries;
    }

    /**
     * The {@code expr} of every rule in a Prometheus rule file, in order: plain and quoted scalars on the key's
     * line and block scalars ({@code >-}, {@code |}) below it, which is how rule files are written. Read as
     * lines, since the gateway has no YAML parser; {@code promtool check rules} validates the YAML itself.
     */
    public static List<String> ruleExprs(String ruleFile) {
        List<String> exprs = new ArrayList<>();
        String[] lines = ruleFile.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher key = EXPR_KEY.matcher(lines[i]);
            if (!key.matches()) {
                continue;
            }
            String value = key.group(2).trim();
            if (value.matches("[>|][+-]?")) {
                int indent = key.group(1).length();
                StringBuilder block = new StringBuilder();
                while (i + 1 < lines.length && (lines[i + 1].isBlank() || indentOf(lines[i + 1]) > indent)) {
                    block.append(lines[++i].trim()).append('\n');
                }
                exprs.add(block.toString().trim());
            } else if (value.length() >= 2 && (value.startsWith("'") || value.startsWith("\""))) {
                exprs.add(value.substring(1, value.length() - 1));
            } else {
                exprs.add(value);
            }
        }
        return exprs;
    }

    /**
     * Those of {@code names} that the Prometheus text {@code exposition} does not expose. A name is exposed
     * when a family of that name is declared ({@code # TYPE}) or a sample has it; {@code X_bucket} only when
     * {@code X} is a histogram, and {@code X_sum} and {@code X_count} when {@code X} is a histogram or a
     * summary, since those are the samples such a family has; a histogram's own name is not a series.
     * Prometheus's own {@code up}, which it adds per target, is always there.
     */
    public static Set<String> missingFrom(Set<String> names, String exposition) {
        Map<String, String> families = new HashMap<>();
        Set<String> samples = new HashSet<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                families.put(parts[2], parts[3]);
            } else if (!line.isBlank() && !line.startsWith("#")) {
                samples.add(line.split("[{ ]", 2)[0]);
            }
        }
        Set<String> missing = new TreeSet<>();
        for (String name : names) {
            if (!exposed(name, families, samples)) {
                missing.add(name);
            }
        }
        return missing;
    }

    private static boolean exposed(String name, Map<String, String> families, Set<String> samples) {
        if (name.equals("up")) {
            return true;
        }
        if (name.endsWith("_bucket")) {
            return "histogram".equals(families.get(name.substring(0, name.length() - "_bucket".length())));
        }
        for (String suffix : List.of("_sum", "_count")) {
            if (name.endsWith(suffix)) {
                String type = families.get(name.substring(0, name.length() - suffix.length()));
                if ("histogram".equals(type) || "summary".equals(type)) {
                    return true;
                }
            }
        }
        // A classic histogram has no sample under its own name; any other declared family does, labelled or not.
        String type = families.get(name);
        return type != null ? !type.equals("histogram") : samples.contains(name);
    }

    private static int indentOf(String line) {
        int n = 0;
        while (n < line.length() && line.charAt(n) == ' ') {
            n++;
        }
        return n;
    }

    private static void collectExprs(JsonElement element, String path, Map<String, String> queries) {
        if (element.isJsonObject()) {
            for (Map.Entry<String, JsonElement> member : element.getAsJsonObject().entrySet()) {
                String at = path + "." + member.getKey();
                JsonElement value = member.getValue();
                if (member.getKey().equals("expr") && value.isJsonPrimitive()) {
                    queries.put(at, value.getAsString());
                } else {
                    collectExprs(value, at, queries);
                }
            }
        } else if (element.isJsonArray()) {
            for (int i = 0; i < element.getAsJsonArray().size(); i++) {
                collectExprs(element.getAsJsonArray().get(i), path + "[" + i + "]", queries);
            }
        }
    }
}
