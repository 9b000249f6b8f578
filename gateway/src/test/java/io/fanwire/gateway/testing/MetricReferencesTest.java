package io.fanwire.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonParser;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MetricReferencesTest {

    @Test
    void functionsKeywordsLabelsStringsAndVariablesAreNotMetrics() {
        assertEquals(Set.of("fanwire_record_age_seconds_bucket"), MetricReferences.inPromQl(
                "histogram_quantile(0.99, sum by (instance, le) "
                        + "(rate(fanwire_record_age_seconds_bucket{instance=~\"$instance\"}[$__rate_interval])))"));
        assertEquals(Set.of("fanwire_consumer_lag"), MetricReferences.inPromQl(
                "sum by (instance, topic) (fanwire_consumer_lag) > 1000\nand\n"
                        + "sum by (instance, topic) (deriv(fanwire_consumer_lag[10m])) > 0"));
        assertEquals(Set.of("a_total", "b_bytes", "up"), MetricReferences.inPromQl(
                "sum(rate(a_total{reason!=\"x\"}[5m] offset 1h)) without (job) / on (instance) group_left (zone) "
                        + "b_bytes unless up{job='fanwire'} > bool 0 or vector(1)"));
    }

    @Test
    void dashboardQueriesIncludeNestedPanelsAndQueryVariables() {
        String dashboard = """
                {"panels": [{"targets": [{"expr": "rate(x_total[1m])"}]},
                            {"type": "row", "panels": [{"targets": [{"expr": "y"}]}]}],
                 "templating": {"list": [
                   {"name": "datasource", "type": "datasource", "query": "prometheus"},
                   {"name": "instance", "type": "query", "query": {"query": "label_values(z, instance)"}}]}}
                """;
        assertEquals(List.of("rate(x_total[1m])", "y", "z"),
                List.copyOf(MetricReferences.dashboardQueries(JsonParser.parseString(dashboard)).values()));
    }

    @Test
    void ruleExprsOnTheLineQuotedAndInBlocks() {
        String rules = """
                groups:
                  - name: g
                    rules:
                      - alert: A
                        expr: up == 0
                        for: 1m
                      - alert: B
                        expr: 'x > 1'
                      - alert: C
                        expr: >-
                          sum(y)
                          > 2
                        for: 5m
                      - expr: z
                        record: r
                """;
        assertEquals(List.of("up == 0", "x > 1", "sum(y)\n> 2", "z"), MetricReferences.ruleExprs(rules));
    }

    @Test
    void missingNamesAreFoundAndHistogramSuffixesFollowTheirFamily() {
        String exposition = """
                # TYPE g gauge
                g 1
                # TYPE lagged gauge
                # TYPE h histogram
                h_bucket{le="+Inf"} 2
                h_sum 0.5
                h_count 2
                untyped_sample 3
                """;
        assertEquals(Set.of(), MetricReferences.missingFrom(
                Set.of("g", "lagged", "h_bucket", "h_sum", "h_count", "untyped_sample", "up"), exposition));
        assertEquals(Set.of("h", "g_bucket", "g_count", "renamed"), MetricReferences.missingFrom(
                Set.of("h", "g_bucket", "g_count", "renamed", "g"), exposition));
    }
}
