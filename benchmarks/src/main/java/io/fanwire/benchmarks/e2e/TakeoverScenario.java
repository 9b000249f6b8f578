package io.fanwire.benchmarks.e2e;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The {@code takeover} scenario: the moment a node takes over the clients of a node that died. The producer
 * offers {@code --deliveries} per second to the clients of a firehose topic for {@code --takeover-lead-s}
 * seconds (default 10) before a fresh server process starts, so the topic holds history. Once the server is
 * ready, every swarm connection (its JVMs already up, waiting) connects at once and subscribes: to Fanwire
 * resuming from the positions the topic had {@code --takeover-resume-back-s} seconds (default 5) before the
 * server started, as clients of the dead node would hold them (PROTOCOL.md §4.2); the peers cannot resume, so
 * their clients subscribe live. For {@code --takeover-s} seconds (default 40) from the moment the first
 * connection opened it records, per one-second bucket, offered and delivered frames and the record age
 * (producer send → swarm receive) p50 and p99, and reports the seconds to keep up: the first second from which
 * every later bucket delivered at least {@value #KEEP_UP_DELIVERED} of what was offered with p99 under
 * {@code --keepup-p99-ms} (default 100). Runs on the runner's thread.
 */
final class TakeoverScenario {

    /** The share of offered frames a second must deliver to count as kept up. */
    static final double KEEP_UP_DELIVERED = 0.98;

    private final BenchmarkRunner runner;
    private final double deliveries;
    private final Duration lead;
    private final Duration resumeBack;
    private final int seconds;
    private final double keepUpP99Ms;

    TakeoverScenario(BenchmarkRunner runner) {
        this.runner = runner;
        Map<String, String> opts = runner.opts;
        this.deliveries = Double.parseDouble(opts.getOrDefault("deliveries", "1000000"));
        this.lead = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("takeover-lead-s", "10")));
        this.resumeBack = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("takeover-resume-back-s", "5")));
        this.seconds = Integer.parseInt(opts.getOrDefault("takeover-s", "40"));
        this.keepUpP99Ms = Double.parseDouble(opts.getOrDefault("keepup-p99-ms", "100"));
    }

    RunResult run(Target.Kind kind, int clients, int run) throws Exception {
        String bootstrap = runner.broker.bootstrapServers();
        String topic = runner.newTopic("takeover");
        Subscriptions subscriptions = Subscriptions.parse("topic:" + topic);
        BenchmarkRunner.log("takeover %s clients=%d run=%d: producing for %d s before the server starts", kind.label,
                clients, run, lead.toSeconds());
        try (RateProducer producer = new RateProducer(bootstrap, topic, BenchmarkRunner.FIREHOSE_KEYS,
                BenchmarkRunner.PAYLOAD_BYTES)) {
            producer.start(deliveries / clients);
            long leadEnd = System.nanoTime() + lead.toNanos();
            SwarmConfig config = new SwarmConfig(false, false, false, List.of(), true);
            try (Swarm swarm = Swarm.launch(runner.repo, clients, subscriptions, config)) {
                Thread.sleep(Math.max(0, (leadEnd - System.nanoTime()) / 1_000_000));
                Resume resume = kind == Target.Kind.FANWIRE
                        ? positionsAt(bootstrap, topic, System.currentTimeMillis() - resumeBack.toMillis())
                        : new Resume(List.of(), 0);
                BenchmarkRunner.log("takeover %s: %s", kind.label, resume.positions().isEmpty() ? "clients subscribe live"
                        : "clients resume from " + SwarmConfig.render(resume.positions()) + ", " + resume.behind()
                        + " records behind");
                long starting = System.nanoTime();
                try (Target target = Target.start(kind, runner.repo, bootstrap, topic, 2, runner.settings)) {
                    double readySeconds = (System.nanoTime() - starting) / 1e9;
                    long cpuReady = ProcStat.cpuNanos(target.pid());
                    long swarmCpu0 = swarm.cpuNanos();
                    long origin = swarm.connect(target.port, resume.positions());
                    // The swarm's buckets count from its origin; the offered counts are sampled on the same marks.
                    long[] sent = new long[seconds + 1];
                    for (int s = 0; s <= seconds; s++) {
                        long wait = origin + s * 1_000_000_000L - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        sent[s] = producer.sent();
                    }
                    long cpu = ProcStat.cpuNanos(target.pid()) - cpuReady;
                    long swarmCpu = swarm.cpuNanos() - swarmCpu0;
                    swarm.awaitReady();
                    Swarm.Timeline timeline = swarm.timeline();
                    Swarm.Report report = swarm.report();
                    RunResult result = result(kind, clients, run, sent, timeline, report, cpu, swarmCpu, cpuReady,
                            readySeconds, resume.behind());
                    BenchmarkRunner.log("takeover %s clients=%d run=%d: %s (swarm origins within %.1f ms)", kind.label,
                            clients, run, result.json(), timeline.originSpreadNanos() / 1e6);
                    if (!target.problems().isEmpty()) {
                        BenchmarkRunner.log("takeover %s: the server logged warnings or errors:%n%s", kind.label,
                                target.problems());
                    }
                    return result;
                }
            }
        }
    }

    private RunResult result(Target.Kind kind, int clients, int run, long[] sent, Swarm.Timeline timeline,
                             Swarm.Report report, long cpu, long swarmCpu, long cpuReady, double readySeconds,
                             long behind) {
        List<Map<String, Double>> series = new ArrayList<>();
        Histogram all = new Histogram(60_000_000L, 2);
        double offered = 0;
        double delivered = 0;
        int subscribedSoFar = 0;
        double allSubscribed = Double.NaN;
        for (int s = 0; s < seconds; s++) {
            Histogram h = s < timeline.seconds().size() ? timeline.seconds().get(s) : new Histogram(60_000_000L, 2);
            Map<String, Double> second = new LinkedHashMap<>();
            second.put("second", (double) s);
            second.put("offered_per_s", (double) (sent[s + 1] - sent[s]) * clients);
            second.put("delivered_per_s", (double) h.getTotalCount());
            second.put("p50_ms", h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(50) / 1000.0);
            second.put("p99_ms", h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(99) / 1000.0);
            subscribedSoFar += s < timeline.subscribed().size() ? timeline.subscribed().get(s) : 0;
            second.put("subscribed", (double) subscribedSoFar);
            if (subscribedSoFar >= clients && Double.isNaN(allSubscribed)) {
                allSubscribed = s + 1;
            }
            series.add(second);
            all.add(h);
            offered += second.get("offered_per_s");
            delivered += h.getTotalCount();
        }
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("seconds_to_keep_up", secondsToKeepUp(series));
        v.put("seconds_to_subscribe_all", allSubscribed);
        v.put("offered_per_s", offered / seconds);
        v.put("delivered_per_s", delivered / seconds);
        v.put("server_cpu_ns_per_frame", delivered == 0 ? Double.NaN : cpu / delivered);
        v.put("server_cpu_cores", cpu / (seconds * 1e9));
        v.put("swarm_cpu_cores", swarmCpu / (seconds * 1e9));
        v.put("p50_ms", all.getValueAtPercentile(50) / 1000.0);
        v.put("p99_ms", all.getValueAtPercentile(99) / 1000.0);
        v.put("max_ms", all.getMaxValue() / 1000.0);
        v.put("disconnects", (double) report.disconnects());
        v.put("ready_s", readySeconds);
        v.put("startup_cpu_s", cpuReady / 1e9);
        v.put("behind_records", kind == Target.Kind.FANWIRE ? (double) behind : Double.NaN);
        return new RunResult("takeover", kind.label, clients, run, v, series, Map.of());
    }

    /**
     * The first second from which every later one delivered at least {@value #KEEP_UP_DELIVERED} of what was
     * offered with p99 under the threshold; NaN when even the last second did not.
     */
    private double secondsToKeepUp(List<Map<String, Double>> series) {
        int first = series.size();
        for (int s = series.size() - 1; s >= 0; s--) {
            Map<String, Double> second = series.get(s);
            boolean keptUp = second.get("delivered_per_s") >= KEEP_UP_DELIVERED * second.get("offered_per_s")
                    && second.get("p99_ms") < keepUpP99Ms;
            if (!keptUp) {
                break;
            }
            first = s;
        }
        return first == series.size() ? Double.NaN : first;
    }

    /** Resume positions, and how many records lay after them when the server started. */
    private record Resume(List<SwarmConfig.Position> positions, long behind) {
    }

    /**
     * Per partition, the offset of the last record written before {@code epochMillis} (the records' timestamps
     * are the producer's send times): where a client of the dead node would have been.
     */
    private static Resume positionsAt(String bootstrap, String topic, long epochMillis) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "benchmark-takeover-positions");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(p -> times.put(p, epochMillis));
            Map<TopicPartition, OffsetAndTimestamp> at = consumer.offsetsForTimes(times);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<SwarmConfig.Position> positions = new ArrayList<>();
            long behind = 0;
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp first = at.get(p);
                long next = first == null ? ends.get(p) : first.offset();
                positions.add(new SwarmConfig.Position(p.partition(), next - 1));
                behind += ends.get(p) - next;
            }
            return new Resume(positions, behind);
        }
    }
}
