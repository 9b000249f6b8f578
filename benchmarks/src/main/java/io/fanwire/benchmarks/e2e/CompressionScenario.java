package io.fanwire.benchmarks.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code compression} scenario: what permessage-deflate (RFC 7692) costs and saves on market data. JSON
 * quotes ({@link JsonQuotes}, each {@code --quote-bytes} size in turn, default 250 and 1,000) go to
 * {@code --compression-clients} clients (default 1,000) on one topic at {@code --compression-deliveries} per
 * second (default 250,000); each server runs twice with the same configuration, its clients offering
 * {@code permessage-deflate; client_no_context_takeover; server_no_context_takeover} once and nothing once.
 * Results: scenarios {@code compression-SIZEB-deflate} and {@code compression-SIZEB-plain}, with the bytes on the
 * wire per frame (before inflation), the message bytes per frame, server CPU per frame and latency; the table
 * adds the ratios.
 *
 * <p>Fanwire serves the topic as JSON ({@code --payload-formats TOPIC=json}) to {@code fanwire.v1.json}
 * clients, with {@code FANWIRE_WS_COMPRESSION=true} (and {@code FANWIRE_WS_COMPRESSION_MIN_BYTES} from
 * {@code --compression-min-bytes} when given) in its environment: a gateway that does not know those keys ignores
 * them, and then the swarm, finding its offer refused, fails the run loudly instead of measuring it uncompressed.
 * The peers speak only {@code fanwire.v1.proto}: their clients get the same JSON quotes as protobuf
 * {@code payload} bytes, with the peers' compression on ({@code COMPRESSION=on}, see benchmarks/peers/README.md).
 * Runs on the runner's thread.
 */
final class CompressionScenario {

    static final String DEFLATE = "-deflate";
    static final String PLAIN = "-plain";

    private final BenchmarkRunner runner;

    CompressionScenario(BenchmarkRunner runner) {
        this.runner = runner;
    }

    /** For each quote size, a run without and one with permessage-deflate offered. */
    List<RunResult> run(Target.Kind kind, int run) throws Exception {
        Map<String, String> opts = runner.opts;
        int clients = Integer.parseInt(opts.getOrDefault("compression-clients", "1000"));
        double deliveries = Double.parseDouble(opts.getOrDefault("compression-deliveries", "250000"));
        List<RunResult> out = new ArrayList<>();
        for (int quoteBytes : BenchmarkRunner.ints(opts.getOrDefault("quote-bytes", "250,1000"))) {
            for (boolean deflate : new boolean[] {false, true}) {
                String scenario = "compression-" + quoteBytes + "B" + (deflate ? DEFLATE : PLAIN);
                try {
                    out.add(runOnce(scenario, kind, clients, run, deliveries, quoteBytes, deflate));
                } catch (IllegalStateException e) {
                    runner.failed(scenario + ", " + kind.label + ", run " + run + ": " + e.getMessage()
                            .lines().findFirst().orElse(""));
                }
            }
        }
        return out;
    }

    private RunResult runOnce(String scenario, Target.Kind kind, int clients, int run, double deliveries,
                              int quoteBytes, boolean deflate) throws Exception {
        String bootstrap = runner.broker.bootstrapServers();
        String topic = runner.newTopic("compression");
        Subscriptions subscriptions = Subscriptions.parse("topic:" + topic);
        long[] perKey = BenchmarkRunner.subscribersPerKey(subscriptions, clients, BenchmarkRunner.FIREHOSE_KEYS);
        boolean fanwire = kind == Target.Kind.FANWIRE;
        TargetSettings settings = fanwire
                ? runner.settings.withFanwireArgs("--payload-formats", topic + "=json")
                        .withEnv("FANWIRE_WS_COMPRESSION", "true")
                : runner.settings.withEnv("COMPRESSION", "on");
        String minBytes = runner.opts.get("compression-min-bytes");
        if (minBytes != null) {
            settings = settings.withEnv(fanwire ? "FANWIRE_WS_COMPRESSION_MIN_BYTES" : "COMPRESSION_MIN_BYTES", minBytes);
        }
        SwarmConfig config = new SwarmConfig(fanwire, true, deflate, List.of(), false);
        JsonQuotes quotes = new JsonQuotes(BenchmarkRunner.FIREHOSE_KEYS, quoteBytes);
        BenchmarkRunner.log("%s %s clients=%d run=%d: starting", scenario, kind.label, clients, run);
        try (Target target = Target.start(kind, runner.repo, bootstrap, topic, 2, settings);
             Swarm swarm = Swarm.start(runner.repo, target.port, clients, subscriptions, config);
             RateProducer producer = new RateProducer(bootstrap, topic, BenchmarkRunner.FIREHOSE_KEYS, quotes)) {
            producer.start(deliveries / clients);
            BenchmarkRunner.Window window = runner.measure(target, swarm, producer, perKey, null);
            Map<String, Double> v = new LinkedHashMap<>(window.values(target));
            double frames = window.report().frames();
            v.put("quote_size", quotes.meanBytes());
            v.put("wire_bytes_per_frame", frames == 0 ? Double.NaN : window.report().wireBytes() / frames);
            v.put("message_bytes_per_frame", frames == 0 ? Double.NaN : window.report().messageBytes() / frames);
            RunResult result = new RunResult(scenario, kind.label, clients, run, v);
            BenchmarkRunner.log("%s %s clients=%d run=%d: %s", scenario, kind.label, clients, run, result.json());
            if (!target.problems().isEmpty()) {
                BenchmarkRunner.log("%s %s: the server logged warnings or errors:%n%s", scenario, kind.label,
                        target.problems());
            }
            return result;
        }
    }
}
