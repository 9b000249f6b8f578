package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.MetricReferences;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.WsTestClient;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What {@code deploy/} gives operators to watch a cluster against what a node exposes: every metric that the
 * Grafana dashboard ({@code deploy/grafana/fanwire-dashboard.json}) and the alert rules
 * ({@code deploy/prometheus/fanwire-rules.yml}) query must be in a real node's {@code /metrics} after live
 * traffic, so that renaming a metric breaks the build instead of a dashboard panel or an alert. The rules also
 * pass {@code promtool check rules} and their unit tests ({@code promtool test rules}); promtool comes from
 * Debian's {@code prometheus} package, which {@code .ci/run} installs.
 */
class MonitoringContractIT {

    private static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
    private static final Path DASHBOARD = DEPLOY.resolve("grafana/fanwire-dashboard.json");
    private static final Path RULES = DEPLOY.resolve("prometheus/fanwire-rules.yml");
    private static final Path RULE_TESTS = DEPLOY.resolve("prometheus/fanwire-rules.test.yml");
    private static final Pattern RECORD_AGE_COUNT =
            Pattern.compile("(?m)^fanwire_record_age_seconds_count (\\d+)$");

    private final String topic = "monitoring-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void everyMetricTheDashboardAndTheRulesQueryIsExposedByANode() throws Exception {
        Map<String, Set<String>> referencedBy = new TreeMap<>();
        MetricReferences.dashboardQueries(dashboard()).forEach((where, expr) ->
                note(referencedBy, MetricReferences.inPromQl(expr), "dashboard " + where));
        List<String> ruleExprs = MetricReferences.ruleExprs(Files.readString(RULES));
        assertFalse(ruleExprs.isEmpty(), "no expr in " + RULES);
        for (String expr : ruleExprs) {
            note(referencedBy, MetricReferences.inPromQl(expr), "rule expr " + expr.replace('\n', ' '));
        }
        // The parsing must have found the metrics the files are about, or the comparison below proves nothing.
        assertTrue(referencedBy.keySet().containsAll(Set.of("fanwire_connections", "fanwire_frames_delivered_total",
                "fanwire_consumer_lag", "fanwire_record_age_seconds_bucket", "fanwire_draining",
                "fanwire_direct_memory_max_bytes")), referencedBy.keySet().toString());

        String exposition = scrapeAfterLiveTraffic();
        Set<String> missing = MetricReferences.missingFrom(referencedBy.keySet(), exposition);
        List<String> report = new ArrayList<>();
        for (String name : missing) {
            report.add(name + " (queried by " + referencedBy.get(name) + ")");
        }
        assertEquals(List.of(), report, "metrics queried by deploy/ that a node does not expose; /metrics was:\n"
                + exposition);

        // And the comparison does catch a metric that is not there, as it would a renamed one.
        Set<String> withRenamed = new TreeSet<>(referencedBy.keySet());
        withRenamed.add("fanwire_record_age_milliseconds_bucket");
        assertEquals(Set.of("fanwire_record_age_milliseconds_bucket"),
                MetricReferences.missingFrom(withRenamed, exposition));
    }

    @Test
    void dashboardIsImportableJsonWithADatasourceVariableAndAPerNodeBreakdown() throws IOException {
        JsonObject dashboard = dashboard().getAsJsonObject();
        assertTrue(dashboard.has("title") && dashboard.has("uid") && dashboard.has("schemaVersion"),
                "a Grafana dashboard has a title, a uid and a schemaVersion");
        Set<String> variables = new HashSet<>();
        for (JsonElement variable : dashboard.getAsJsonObject("templating").getAsJsonArray("list")) {
            JsonObject v = variable.getAsJsonObject();
            variables.add(v.get("name").getAsString());
            if (v.get("type").getAsString().equals("datasource")) {
                assertEquals("prometheus", v.get("query").getAsString());
            }
        }
        assertTrue(variables.containsAll(Set.of("datasource", "instance")), variables.toString());
        Set<Integer> ids = new HashSet<>();
        int queries = 0;
        for (JsonElement element : dashboard.getAsJsonArray("panels")) {
            JsonObject panel = element.getAsJsonObject();
            assertTrue(ids.add(panel.get("id").getAsInt()), "panel ids are unique: " + panel.get("id"));
            if (panel.get("type").getAsString().equals("row")) {
                continue;
            }
            assertEquals("${datasource}", panel.getAsJsonObject("datasource").get("uid").getAsString(),
                    panel.get("title").getAsString());
            for (JsonElement target : panel.getAsJsonArray("targets")) {
                String expr = target.getAsJsonObject().get("expr").getAsString();
                assertTrue(expr.contains("instance=~\"$instance\""), "filtered by the node variable: " + expr);
                assertTrue(expr.contains("by (instance"), "one series per node: " + expr);
                queries++;
            }
        }
        assertTrue(queries >= 10, "panels with queries: " + queries);
    }

    @Test
    void rulesPassPromtoolCheckAndTheirUnitTests() throws Exception {
        String promtool = promtool();
        promtool(promtool, "check", "rules", RULES.toString());
        promtool(promtool, "test", "rules", RULE_TESTS.toString());
    }

    /** Starts a node, lets a subscribed client receive live records, and returns {@code /metrics}. */
    private String scrapeAfterLiveTraffic() throws Exception {
        TestKafka.createTopic(topic, 2);
        try (Gateway gateway = TestGateway.start(List.of(topic));
             TestProducer producer = new TestProducer();
             WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic);
            for (int i = 0; i < 20; i++) {
                producer.send(topic, "k" + i, "v" + i);
            }
            client.awaitMessages(20);
            String exposition = TestGateway.admin(gateway, "/metrics").body();
            Matcher count = RECORD_AGE_COUNT.matcher(exposition);
            assertTrue(count.find(), exposition);
            // One loop holds the one subscriber: each record is observed once, when that loop writes it.
            assertEquals(20, Long.parseLong(count.group(1)), exposition);
            return exposition;
        }
    }

    private static JsonElement dashboard() throws IOException {
        try {
            return JsonParser.parseString(Files.readString(DASHBOARD));
        } catch (JsonParseException e) {
            throw new AssertionError(DASHBOARD + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static void note(Map<String, Set<String>> referencedBy, Set<String> names, String where) {
        for (String name : names) {
            referencedBy.computeIfAbsent(name, n -> new TreeSet<>()).add(where);
        }
    }

    private static String promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("promtool is not installed: it checks deploy/prometheus/fanwire-rules.yml. Install Debian's "
                + "prometheus package (apt-get install prometheus), as .ci/run does.");
    }

    private static void promtool(String promtool, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(promtool);
        command.addAll(List.of(args));
        Path log = Files.createTempFile("promtool", ".log");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .start();
            process.getOutputStream().close();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("promtool did not finish within 60 s: " + command);
            }
            assertEquals(0, process.exitValue(), String.join(" ", command) + "\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.delete(log);
        }
    }
}
