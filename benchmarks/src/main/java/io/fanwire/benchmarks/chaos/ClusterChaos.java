package io.fanwire.benchmarks.chaos;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The chaos scenarios of {@code deploy/local/chaos}, against the cluster {@code deploy/local/cluster up}
 * started: verifier clients connect through the balancer (a share to the whole {@code chaos} topic, the rest to
 * one key each), a producer writes sequence-numbered records, one fault runs, and every client must end with
 * every record once and in order. Prints one table row per scenario and exits 1 if any client lost a record,
 * was handed a duplicate or a record out of order.
 *
 * <pre>
 * ClusterChaos REPO [--scenarios node-kill,rolling-restart,broker-kill,broker-stop,balancer-reload]
 *   [--clients 3000] [--whole-topic-share 0.1] [--keys 50] [--rate 50] [--broker-stop-seconds 60]
 *   [--settle-seconds 15]
 * </pre>
 *
 * <p>Threads: {@code main} runs the scenarios; the clients share two event loops; the producer has its own.
 */
public final class ClusterChaos {

    private static final String TOPIC = "chaos";
    private static final Duration CONNECT_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(2);

    private final LocalCluster cluster;
    private final Map<String, String> options;
    private final MACSigner signer;

    private ClusterChaos(LocalCluster cluster, Map<String, String> options) throws JOSEException {
        this.cluster = cluster;
        this.options = options;
        this.signer = new MACSigner(cluster.tokenSecret());
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ClusterChaos REPO [--scenarios a,b] [--clients N] [--whole-topic-share F]"
                    + " [--keys N] [--rate N] [--broker-stop-seconds N] [--settle-seconds N]");
            System.exit(2);
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        ClusterChaos chaos = new ClusterChaos(LocalCluster.attach(Path.of(args[0])), options);
        System.exit(chaos.runAll() ? 0 : 1);
    }

    private int option(String name, int fallback) {
        return Integer.parseInt(options.getOrDefault(name, Integer.toString(fallback)));
    }

    private boolean runAll() throws Exception {
        List<String> scenarios = Arrays.asList(options.getOrDefault("scenarios",
                "node-kill,rolling-restart,broker-kill,broker-stop,balancer-reload").split(","));
        System.out.println(Result.HEADER);
        boolean clean = true;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            for (String scenario : scenarios) {
                Result result = run(scenario.trim(), group);
                System.out.println(result.row());
                clean &= result.clean();
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        return clean;
    }

    private Result run(String scenario, EventLoopGroup group) throws Exception {
        int clientCount = option("clients", 3000);
        int keyCount = option("keys", 50);
        int rate = option("rate", 50);
        double wholeTopicShare = Double.parseDouble(options.getOrDefault("whole-topic-share", "0.1"));
        int settle = option("settle-seconds", 15);
        String prefix = scenario + "-" + UUID.randomUUID().toString().substring(0, 6);
        String[] keys = new String[keyCount];
        for (int k = 0; k < keyCount; k++) {
            keys[k] = VerifierClient.key(prefix, k);
        }

        List<VerifierClient> clients = new ArrayList<>(clientCount);
        int wholeTopic = (int) Math.round(clientCount * wholeTopicShare);
        long started = System.nanoTime();
        try (SequenceProducer producer = new SequenceProducer(cluster.bootstrap(), TOPIC, keys, rate)) {
            for (int i = 0; i < clientCount; i++) {
                String subject = "chaos-" + i;
                clients.add(new VerifierClient(group, cluster.balancer(), () -> token(subject), TOPIC, prefix,
                        keyCount, i < wholeTopic ? -1 : i % keyCount));
            }
            await("every client subscribed", CONNECT_TIMEOUT, () -> clients.stream().allMatch(VerifierClient::active));
            double connectSeconds = (System.nanoTime() - started) / 1e9;

            producer.start();
            TimeUnit.SECONDS.sleep(5);
            fault(scenario, option("broker-stop-seconds", 60));
            TimeUnit.SECONDS.sleep(settle);
            producer.stop();
            boolean caughtUp = awaitQuietly(CATCH_UP_TIMEOUT, () -> clients.stream().allMatch(c -> c.caughtUp(producer)));
            clients.forEach(VerifierClient::close);
            TimeUnit.MILLISECONDS.sleep(500);
            return Result.of(scenario, clients, producer, caughtUp, connectSeconds);
        } finally {
            clients.forEach(VerifierClient::close);
        }
    }

    private void fault(String scenario, int brokerStopSeconds) throws InterruptedException {
        switch (scenario) {
            case "node-kill" -> {
                cluster.command("kill", "node", "2");
                TimeUnit.SECONDS.sleep(10);
                cluster.command("start", "node", "2");
            }
            case "rolling-restart" -> {
                for (String node : List.of("1", "2", "3")) {
                    cluster.command("restart", "node", node);
                }
            }
            case "broker-kill" -> {
                String leader = Integer.toString(cluster.busiestLeader(TOPIC));
                cluster.command("kill", "broker", leader);
                TimeUnit.SECONDS.sleep(15);
                cluster.command("start", "broker", leader);
            }
            case "broker-stop" -> {
                String leader = Integer.toString(cluster.busiestLeader(TOPIC));
                cluster.command("stop", "broker", leader);
                TimeUnit.SECONDS.sleep(brokerStopSeconds);
                cluster.command("start", "broker", leader);
            }
            case "balancer-reload" -> {
                cluster.command("reload", "balancer", "leastconn");
                // the old worker closes what it still holds after hard-stop-after (30 s)
                TimeUnit.SECONDS.sleep(35);
                cluster.command("reload", "balancer", "roundrobin");
            }
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        }
    }

    private String token(String subject) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
                    .subject(subject).expirationTime(Date.from(Instant.now().plus(Duration.ofHours(2)))).build());
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        if (!awaitQuietly(timeout, condition)) {
            throw new IllegalStateException(what + ": not within " + timeout);
        }
    }

    private static boolean awaitQuietly(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        return true;
    }

    /** One scenario's figures. */
    record Result(String scenario, int clients, long produced, long delivered, long lost, long duplicates,
                  long outOfOrder, int affected, double p50, double p99, double max, boolean caughtUp,
                  double connectSeconds) {

        static final String HEADER = "| scenario | clients | records produced | deliveries | lost | duplicates |"
                + " out of order | clients that lost their node | longest time without a node p50 / p99 / max (s) |"
                + "\n|---|---|---|---|---|---|---|---|---|";

        static Result of(String scenario, List<VerifierClient> clients, SequenceProducer producer, boolean caughtUp,
                         double connectSeconds) {
            long delivered = 0;
            long lost = 0;
            long duplicates = 0;
            long outOfOrder = 0;
            List<Double> outages = new ArrayList<>();
            for (VerifierClient client : clients) {
                delivered += client.delivered();
                lost += client.lost(producer);
                duplicates += client.duplicates();
                outOfOrder += client.outOfOrder();
                if (client.outages() > 0) {
                    outages.add(client.longestOutageMillis() / 1000);
                }
            }
            outages.sort(Double::compare);
            return new Result(scenario, clients.size(), producer.acknowledged(), delivered, lost, duplicates,
                    outOfOrder, outages.size(), percentile(outages, 0.5), percentile(outages, 0.99),
                    outages.isEmpty() ? 0 : outages.get(outages.size() - 1), caughtUp, connectSeconds);
        }

        private static double percentile(List<Double> sorted, double q) {
            return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
        }

        boolean clean() {
            return lost == 0 && duplicates == 0 && outOfOrder == 0 && caughtUp;
        }

        String row() {
            return String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %d | %d | %d | %,d | %.2f / %.2f / %.2f |%s",
                    scenario, clients, produced, delivered, lost, duplicates, outOfOrder, affected, p50, p99, max,
                    caughtUp ? "" : " (not every client caught up)");
        }
    }
}
