package io.fanwire.benchmarks.e2e;

import io.fanwire.broker.EmbeddedKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * The end-to-end benchmark: one command starts a real Kafka broker, then for each target (Fanwire and the
 * peers in {@code benchmarks/peers/}) and scenario starts the server in its own process, a client swarm in
 * others and a fixed-rate producer, measures, and stops everything. Each figure is the median of
 * {@code --runs} runs, with min and max; results go to {@code benchmarks/results/} as JSON and Markdown.
 *
 * <p>Scenarios: {@code firehose} (every client subscribed to one 8-partition topic, 100-byte payloads, at
 * about {@code --deliveries} deliveries per second), {@code market} (1,000 keys, each client subscribed to
 * 20 keys of Zipf(1) popularity, keys updated uniformly), {@code idle} (memory per idle subscribed
 * connection, the slope from 1,000 to 19,000 connections after a full GC), {@code maxrate} (the highest
 * delivery rate with p99 under 50 ms and nothing falling behind, at the largest client count),
 * {@code takeover} (a fresh server taking over the clients of a node that died: {@link TakeoverScenario}) and
 * {@code compression} (JSON quotes with and without permessage-deflate: {@link CompressionScenario}).
 * {@code --floor true} runs a bare Kafka consumer beside the server in the firehose and market windows
 * ({@link KafkaFloor}).
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.fanwire.benchmarks.e2e.BenchmarkRunner
 * [--targets fanwire,uws,ws] [--scenarios firehose,market,idle,maxrate,takeover,compression]
 * [--clients 1000,10000,19000] [--runs 3] [--warmup-s 10] [--measure-s 10] [--deliveries 1000000] [--idle-runs 1]
 * [--syscalls true] [--floor true] [--fanwire-java PATH] [--fanwire-jvm-opts "..."] [takeover and compression
 * options: see their classes] [--quick]}. Run from the repository root after
 * {@code ./mvnw -B -q -DskipTests package}; peers need {@code npm ci} in benchmarks/peers.
 *
 * <p>The runner's main thread drives everything; the producer, the floor consumer and the readers of the
 * children's output have threads of their own.
 */
public final class BenchmarkRunner {

    static final int PAYLOAD_BYTES = 100;
    private static final int PARTITIONS = 8;
    static final int FIREHOSE_KEYS = 64;
    private static final int MARKET_KEYS = 1_000;
    private static final int MARKET_KEYS_PER_CLIENT = 20;

    final Path repo;
    final Map<String, String> opts;
    final EmbeddedKafkaBroker broker;
    private final int runs;
    private final Duration warmup;
    private final Duration measure;
    private final double deliveries;
    /** Whether to count the server's syscalls in each window with perf ({@code --syscalls true}). */
    private final boolean countSyscalls;
    /** Whether to run {@link KafkaFloor} beside the server in firehose and market windows ({@code --floor true}). */
    private final boolean floor;
    /** The JVM and options that run Fanwire; scenarios add their own flags and environment. */
    final TargetSettings settings;
    /** How Fanwire ran, recorded with each of its results and in the table's header. */
    private final Map<String, String> fanwireNotes;
    private final List<RunResult> results = new ArrayList<>();
    /** Runs that could not be measured, with why; listed under the tables. */
    private final List<String> failures = new ArrayList<>();
    private int topicSequence;

    private BenchmarkRunner(Path repo, Map<String, String> opts, EmbeddedKafkaBroker broker) {
        this.repo = repo;
        this.opts = opts;
        this.broker = broker;
        this.runs = Integer.parseInt(opts.getOrDefault("runs", "3"));
        this.warmup = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("warmup-s", "10")));
        this.measure = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("measure-s", "10")));
        this.countSyscalls = Boolean.parseBoolean(opts.getOrDefault("syscalls", "false"));
        this.deliveries = Double.parseDouble(opts.getOrDefault("deliveries", "1000000"));
        this.floor = Boolean.parseBoolean(opts.getOrDefault("floor", "false"));
        // fanwire.jvm.extra: the older way to pass extra options (profiling runs); --fanwire-jvm-opts wins.
        this.settings = TargetSettings.of(opts.getOrDefault("fanwire-java", "java"),
                opts.getOrDefault("fanwire-jvm-opts", System.getProperty("fanwire.jvm.extra", "")));
        this.fanwireNotes = Map.of("fanwire_java", settings.fanwireJava(),
                "fanwire_java_version", javaVersion(settings.fanwireJava()),
                "fanwire_jvm_opts", String.join(" ", settings.fanwireJvmOptions()));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String name = args[i].replaceFirst("^--", "");
            if (name.equals("quick")) {
                opts.putAll(Map.of("targets", "fanwire", "scenarios", "firehose", "clients", "50", "runs", "1",
                        "warmup-s", "1", "measure-s", "2", "deliveries", "5000", "idle-clients", "20,100"));
            } else {
                opts.put(name, args[++i]);
            }
        }
        Path repo = Path.of(opts.getOrDefault("repo", ".")).toAbsolutePath().normalize();
        Path out = repo.resolve(opts.getOrDefault("out", "benchmarks/results"));
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults()
                .withPort(0).withJvmOptions(List.of("-Xms512m", "-Xmx1g", "-XX:+UseParallelGC")))) {
            BenchmarkRunner runner = new BenchmarkRunner(repo, opts, broker);
            runner.runAll();
            runner.write(out);
        }
    }

    private void runAll() throws Exception {
        List<Target.Kind> targets = Arrays.stream(opts.getOrDefault("targets", "fanwire,uws,ws").split(","))
                .map(Target.Kind::parse).toList();
        List<Integer> clientCounts = ints(opts.getOrDefault("clients", "1000,10000,19000"));
        for (String scenario : opts.getOrDefault("scenarios", "firehose,market,idle,maxrate").split(",")) {
            for (Target.Kind target : targets) {
                switch (scenario) {
                    case "firehose" -> {
                        for (int clients : clientCounts) {
                            for (int run = 1; run <= runs; run++) {
                                results.add(firehoseOrMarket("firehose", target, clients, run, deliveries));
                            }
                        }
                    }
                    case "market" -> {
                        int clients = Integer.parseInt(opts.getOrDefault("market-clients", "10000"));
                        for (int run = 1; run <= runs; run++) {
                            results.add(firehoseOrMarket("market", target, clients, run, deliveries));
                        }
                    }
                    case "idle" -> {
                        // Heap per connection is deterministic to a few bytes: one run unless asked for more.
                        int idleRuns = Integer.parseInt(opts.getOrDefault("idle-runs", "1"));
                        for (int run = 1; run <= idleRuns; run++) {
                            results.add(idle(target, run, ints(opts.getOrDefault("idle-clients", "1000,19000"))));
                        }
                    }
                    case "maxrate" -> results.add(maxRate(target, clientCounts.get(clientCounts.size() - 1)));
                    case "takeover" -> {
                        int clients = Integer.parseInt(opts.getOrDefault("takeover-clients",
                                Integer.toString(clientCounts.get(clientCounts.size() - 1))));
                        for (int run = 1; run <= runs; run++) {
                            results.add(new TakeoverScenario(this).run(target, clients, run));
                        }
                    }
                    case "compression" -> {
                        for (int run = 1; run <= runs; run++) {
                            results.addAll(new CompressionScenario(this).run(target, run));
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown scenario " + scenario);
                }
            }
        }
    }

    /** Notes a run that could not be measured; it is listed under the tables. */
    void failed(String what) {
        failures.add(what);
        log("FAILED: %s", what);
    }

    String newTopic(String scenario) throws InterruptedException {
        String topic = "bench-" + scenario + "-" + ProcessHandle.current().pid() + "-" + (++topicSequence);
        broker.createTopic(topic, PARTITIONS);
        return topic;
    }

    /**
     * One measured window, repeated (at most twice) when the swarm received nothing at all: such a run measured
     * a broken set-up, not the server, and would drag the medians to zero. The log keeps what the server and the
     * swarm printed, so that the failure can be looked into.
     */
    private RunResult firehoseOrMarket(String scenario, Target.Kind kind, int clients, int run, double wanted)
            throws Exception {
        for (int attempt = 1; ; attempt++) {
            RunResult result = firehoseOrMarketOnce(scenario, kind, clients, run, wanted);
            if (result.values().get("delivered_per_s") > 0 || attempt == 3) {
                return result;
            }
            log("%s %s clients=%d run=%d: FAILED, the swarm received nothing; running it again", scenario, kind.label,
                    clients, run);
        }
    }

    /** One measured window; {@code recordsPerSecond} is derived from the wanted deliveries per second. */
    private RunResult firehoseOrMarketOnce(String scenario, Target.Kind kind, int clients, int run, double wanted)
            throws Exception {
        String topic = newTopic(scenario);
        Subscriptions subscriptions = scenario.equals("firehose") ? Subscriptions.parse("topic:" + topic)
                : new Subscriptions(topic, MARKET_KEYS, MARKET_KEYS_PER_CLIENT, 42);
        int keys = scenario.equals("firehose") ? FIREHOSE_KEYS : MARKET_KEYS;
        long[] subscribersPerKey = subscribersPerKey(subscriptions, clients, keys);
        double meanFanout = Arrays.stream(subscribersPerKey).average().orElse(0);
        log("%s %s clients=%d run=%d: starting", scenario, kind.label, clients, run);
        try (Target target = Target.start(kind, repo, broker.bootstrapServers(), topic, 2, settings);
             KafkaFloor kafkaFloor = floor ? new KafkaFloor(broker.bootstrapServers(), topic) : null;
             Swarm swarm = Swarm.start(repo, target.port, clients, subscriptions);
             RateProducer producer = new RateProducer(broker.bootstrapServers(), topic, keys, PAYLOAD_BYTES)) {
            producer.start(wanted / meanFanout);
            Window window = measure(target, swarm, producer, subscribersPerKey, kafkaFloor);
            RunResult result = new RunResult(scenario, kind.label, clients, run, window.values(target));
            log("%s %s clients=%d run=%d: %s", scenario, kind.label, clients, run, result.json());
            if (!target.problems().isEmpty()) {
                log("%s %s clients=%d run=%d: the server logged warnings or errors:%n%s", scenario, kind.label,
                        clients, run, target.problems());
            }
            if (window.report().frames() == 0) {
                log("nothing delivered; server metrics %s%nserver output:%n%s%n%s", window.metrics(), target.tail(),
                        swarm.tail());
            }
            return result;
        }
    }

    /** What one measurement window saw; {@code floor} is null when no {@link KafkaFloor} ran. */
    record Window(double seconds, double offered, Swarm.Report report, long targetCpu, long swarmCpu,
                  Map<String, Double> metrics, long rss, Map<String, Long> syscalls, Histogram floor) {

        Map<String, Double> values(Target target) {
            Map<String, Double> v = new LinkedHashMap<>();
            double delivered = report.frames();
            v.put("offered_per_s", offered / seconds);
            v.put("delivered_per_s", delivered / seconds);
            v.put("server_cpu_ns_per_frame", delivered == 0 ? Double.NaN : targetCpu / delivered);
            v.put("server_cpu_cores", targetCpu / seconds / 1e9);
            v.put("swarm_cpu_cores", swarmCpu / seconds / 1e9);
            Histogram h = report.latencyMicros();
            v.put("p50_ms", h.getValueAtPercentile(50) / 1000.0);
            v.put("p99_ms", h.getValueAtPercentile(99) / 1000.0);
            if (floor != null) {
                v.put("floor_p50_ms", floor.getValueAtPercentile(50) / 1000.0);
                v.put("floor_p99_ms", floor.getValueAtPercentile(99) / 1000.0);
            }
            v.put("p999_ms", h.getValueAtPercentile(99.9) / 1000.0);
            v.put("max_ms", h.getMaxValue() / 1000.0);
            v.put("backlog_frames", Math.max(0, offered - delivered));
            v.put("disconnects", (double) report.disconnects());
            v.put("consumer_lag", metrics.entrySet().stream().filter(e -> e.getKey().startsWith("fanwire_consumer_lag"))
                    .mapToDouble(Map.Entry::getValue).sum());
            v.put("heap_bytes", metrics.getOrDefault("fanwire_jvm_heap_used_bytes", Double.NaN));
            v.put("direct_bytes", metrics.getOrDefault("fanwire_direct_memory_used_bytes", Double.NaN));
            v.put("rss_bytes", (double) rss);
            if (target.kind != Target.Kind.FANWIRE) {
                v.put("consumer_lag", Double.NaN);
            }
            if (!syscalls.isEmpty()) {
                long writes = SyscallCounter.WRITES.stream().mapToLong(name -> syscalls.getOrDefault(name, 0L)).sum();
                v.put("frames_per_write_syscall", writes == 0 ? Double.NaN : delivered / writes);
                v.put("epoll_waits_per_s", (syscalls.getOrDefault("epoll_wait", 0L)
                        + syscalls.getOrDefault("epoll_pwait", 0L)) / seconds);
            }
            return v;
        }
    }

    /** Warm-up, then one measured window; {@code kafkaFloor} may be null. */
    Window measure(Target target, Swarm swarm, RateProducer producer, long[] subscribersPerKey, KafkaFloor kafkaFloor)
            throws Exception {
        Thread.sleep(warmup.toMillis());
        swarm.reset();
        if (kafkaFloor != null) {
            kafkaFloor.reset();
        }
        long[] sent0 = producer.sentPerKey();
        SyscallCounter syscalls = countSyscalls ? SyscallCounter.start(target.pid(), measure.toMillis()) : null;
        long cpu0 = ProcStat.cpuNanos(target.pid());
        long swarmCpu0 = swarm.cpuNanos();
        long t0 = System.nanoTime();
        Thread.sleep(measure.toMillis());
        long[] sent1 = producer.sentPerKey();
        long cpu1 = ProcStat.cpuNanos(target.pid());
        long swarmCpu1 = swarm.cpuNanos();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Swarm.Report report = swarm.report();
        Histogram floorAges = kafkaFloor == null ? null : kafkaFloor.snapshot();
        Map<String, Double> metrics = target.metrics();
        double offered = 0;
        for (int k = 0; k < sent1.length; k++) {
            offered += (double) (sent1[k] - sent0[k]) * subscribersPerKey[k];
        }
        return new Window(seconds, offered, report, cpu1 - cpu0, swarmCpu1 - swarmCpu0, metrics,
                ProcStat.rssBytes(target.pid()), syscalls == null ? Map.of() : syscalls.counts(), floorAges);
    }

    /** Memory per idle subscribed connection (the slope between the smallest and largest counts), and the totals at the largest. */
    private RunResult idle(Target.Kind kind, int run, List<Integer> counts) throws Exception {
        Map<String, Double> low = idlePoint(kind, counts.get(0));
        Map<String, Double> high = idlePoint(kind, counts.get(counts.size() - 1));
        double connections = counts.get(counts.size() - 1) - counts.get(0);
        Map<String, Double> v = new LinkedHashMap<>();
        for (String name : List.of("heap_bytes", "direct_bytes", "rss_bytes")) {
            v.put(name + "_per_connection", (high.get(name) - low.get(name)) / connections);
        }
        // And the totals at the largest count: what the process holds with that many idle connections.
        v.put("heap_bytes", high.get("heap_bytes"));
        v.put("rss_bytes", high.get("rss_bytes"));
        RunResult result = new RunResult("idle", kind.label, counts.get(counts.size() - 1), run, v);
        log("idle %s run=%d: %s", kind.label, run, result.json());
        return result;
    }

    private Map<String, Double> idlePoint(Target.Kind kind, int clients) throws Exception {
        String topic = newTopic("idle");
        try (Target target = Target.start(kind, repo, broker.bootstrapServers(), topic, 2, settings);
             Swarm swarm = Swarm.start(repo, target.port, clients, Subscriptions.parse("topic:" + topic))) {
            Thread.sleep(2_000);
            target.fullGc();
            target.fullGc();
            Map<String, Double> metrics = target.metrics();
            Map<String, Double> v = new HashMap<>();
            v.put("heap_bytes", metrics.getOrDefault("fanwire_jvm_heap_used_bytes", Double.NaN));
            v.put("direct_bytes", metrics.getOrDefault("fanwire_direct_memory_used_bytes", Double.NaN));
            v.put("rss_bytes", (double) ProcStat.rssBytes(target.pid()));
            return v;
        }
    }

    /**
     * Raises the offered rate step by step (x1.25) until p99 passes 50 ms or less than 98% of what was
     * offered is delivered; reports the last rate that passed.
     */
    private RunResult maxRate(Target.Kind kind, int clients) throws Exception {
        String topic = newTopic("maxrate");
        Subscriptions subscriptions = Subscriptions.parse("topic:" + topic);
        long[] perKey = subscribersPerKey(subscriptions, clients, FIREHOSE_KEYS);
        double rate = Double.parseDouble(opts.getOrDefault("maxrate-start", "250000"));
        Map<String, Double> best = new LinkedHashMap<>();
        best.put("sustained_delivered_per_s", 0.0);
        try (Target target = Target.start(kind, repo, broker.bootstrapServers(), topic, 2, settings);
             Swarm swarm = Swarm.start(repo, target.port, clients, subscriptions);
             RateProducer producer = new RateProducer(broker.bootstrapServers(), topic, FIREHOSE_KEYS, PAYLOAD_BYTES)) {
            producer.start(rate / clients);
            for (int step = 0; step < 12; step++) {
                producer.rate(rate / clients);
                Window window = measure(target, swarm, producer, perKey, null);
                Map<String, Double> v = window.values(target);
                boolean sustained = v.get("p99_ms") < 50 && v.get("delivered_per_s") >= 0.98 * v.get("offered_per_s")
                        && v.get("disconnects") == 0;
                log("maxrate %s offered=%.0f/s: delivered=%.0f/s p99=%.1f ms %s", kind.label,
                        v.get("offered_per_s"), v.get("delivered_per_s"), v.get("p99_ms"), sustained ? "ok" : "NOT sustained");
                if (!sustained) {
                    break;
                }
                best.put("sustained_delivered_per_s", v.get("delivered_per_s"));
                best.put("p99_ms", v.get("p99_ms"));
                best.put("server_cpu_ns_per_frame", v.get("server_cpu_ns_per_frame"));
                rate *= 1.25;
            }
        }
        return new RunResult("maxrate", kind.label, clients, 1, best);
    }

    static long[] subscribersPerKey(Subscriptions subscriptions, int clients, int keys) {
        long[] perKey = new long[keys];
        if (subscriptions.keys() == 0) {
            Arrays.fill(perKey, clients);
            return perKey;
        }
        for (int c = 0; c < clients; c++) {
            for (int k : subscriptions.keysFor(c)) {
                perKey[k]++;
            }
        }
        return perKey;
    }

    private void write(Path out) throws Exception {
        Files.createDirectories(out);
        String stamp = LocalDate.now() + "-" + System.currentTimeMillis() / 1000;
        Path json = out.resolve("e2e-" + stamp + ".json");
        List<RunResult> noted = results.stream()
                .map(r -> r.target().startsWith(Target.Kind.FANWIRE.label) ? r.withNotes(fanwireNotes) : r).toList();
        Files.writeString(json, noted.stream().map(RunResult::json).collect(Collectors.joining(",\n  ", "[\n  ", "\n]\n")));
        Path markdown = out.resolve("e2e-" + stamp + ".md");
        String fanwireJvm = "\n\nFanwire JVM: " + settings.fanwireJava() + " (Java " + fanwireNotes.get("fanwire_java_version")
                + "), deploy/jvm.options" + (settings.fanwireJvmOptions().isEmpty() ? ""
                : " + " + String.join(" ", settings.fanwireJvmOptions())) + ".";
        StringBuilder failed = new StringBuilder();
        if (!failures.isEmpty()) {
            failed.append("\n### Runs that could not be measured\n\n");
            failures.forEach(f -> failed.append("- ").append(f).append('\n'));
        }
        Files.writeString(markdown, ResultTable.markdown(results, machine() + fanwireJvm) + failed);
        log("wrote %s and %s", json, markdown);
        System.out.println(Files.readString(markdown));
    }

    private static String machine() throws Exception {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 2)).orElse("unknown CPU");
        String memory = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                .findFirst().map(l -> l.replaceAll("\\s+", " ")).orElse("");
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + memory + ", Linux "
                + System.getProperty("os.version") + ", Java " + System.getProperty("java.version") + ", "
                + LocalDate.now();
    }

    /** The {@code java.version} of the JVM at {@code java}, or "unknown". */
    private static String javaVersion(String executable) {
        try {
            Process p = new ProcessBuilder(executable, "-XshowSettings:properties", "-version").redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out.lines().map(String::strip).filter(l -> l.startsWith("java.version = ")).findFirst()
                    .map(l -> l.substring("java.version = ".length())).orElse("unknown");
        } catch (Exception e) {
            return "unknown";
        }
    }

    static List<Integer> ints(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).map(Integer::parseInt).toList();
    }

    static void log(String format, Object... args) {
        System.out.printf("[bench %tT] %s%n", System.currentTimeMillis(), String.format(format, args));
    }
}
