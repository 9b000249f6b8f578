package io.fanwire.benchmarks.soak;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.config.GatewayConfig;
import io.fanwire.broker.EmbeddedKafkaBroker;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.HdrHistogram.Histogram;

/**
 * Fault test 4, soak variant (minutes, thousands of clients; not part of {@code mvn verify}): three topics, one
 * per slow-consumer policy (conflate, drop, disconnect), clients spread over them; a fixed-rate producer
 * writes every key with contiguous sequence numbers. After a baseline phase, {@code --frozen-percent} of the
 * clients stop reading ({@code autoRead} off, small receive buffer) for the frozen phase; then they read
 * again. Prints, per phase, the healthy clients' latency percentiles and the gateway's memory; then checks
 * every healthy client got every record once per key in order, and each frozen client its policy's
 * treatment. Exit status 0 when every check passed.
 *
 * <p>Everything runs in this JVM: a real broker (child JVM), the gateway, the clients (Netty, two event loops,
 * spread over {@code --sources}) and the producer. Run it with {@code benchmarks/soak.sh}.
 */
public final class FrozenClientsSoak {

    private static final String[] POLICIES = {"conflate", "drop", "disconnect"};

    private FrozenClientsSoak() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int clients = Integer.parseInt(opts.getOrDefault("clients", "3000"));
        double frozenPercent = Double.parseDouble(opts.getOrDefault("frozen-percent", "1"));
        int keys = Integer.parseInt(opts.getOrDefault("keys", "50"));
        int rate = Integer.parseInt(opts.getOrDefault("rate", "5"));
        int payload = Integer.parseInt(opts.getOrDefault("payload-bytes", "2000"));
        long baselineS = Long.parseLong(opts.getOrDefault("baseline-s", "60"));
        long frozenS = Long.parseLong(opts.getOrDefault("frozen-s", "180"));
        String[] sources = opts.getOrDefault("sources", "127.0.0.2,127.0.0.3,127.0.0.4").split(",");
        long maxPending = Long.parseLong(opts.getOrDefault("max-pending-bytes", "1048576"));

        System.out.printf("soak: %d clients, %.1f%% frozen, %d keys, %d records/s per topic of %d bytes, "
                + "baseline %d s, frozen %d s%n", clients, frozenPercent, keys, rate, payload, baselineS, frozenS);
        boolean ok = true;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedKafkaBroker.Options.defaults()
                .withPort(0))) {
            List<String> topics = new ArrayList<>();
            StringBuilder policy = new StringBuilder();
            for (String p : POLICIES) {
                String topic = "soak-" + p;
                broker.createTopic(topic, 4);
                topics.add(topic);
                policy.append(policy.length() == 0 ? "" : ",").append(topic).append('=').append(p);
            }
            Map<String, String> raw = new HashMap<>();
            raw.put("dev", "false");
            raw.put("kafka.bootstrap.servers", broker.bootstrapServers());
            raw.put("topics", String.join(",", topics));
            raw.put("port", "0");
            raw.put("admin.port", "0");
            raw.put("bind.address", "0.0.0.0");
            raw.put("admin.bind.address", "127.0.0.1");
            raw.put("io.threads", "2");
            raw.put("auth.anonymous", "true");
            raw.put("slow.consumer.policy", policy.toString());
            raw.put("ws.max.pending.bytes", Long.toString(maxPending));
            raw.put("ws.send.buffer.bytes", opts.getOrDefault("send-buffer-bytes", "65536"));
            raw.put("ws.write.buffer.low.bytes", opts.getOrDefault("low-water-bytes", "65536"));
            raw.put("ws.write.buffer.high.bytes", opts.getOrDefault("high-water-bytes", "131072"));
            raw.put("ws.idle.timeout.ms", Long.toString(TimeUnit.SECONDS.toMillis(baselineS + frozenS + 600)));
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
            try (Gateway gateway = Gateway.start(GatewayConfig.from(raw))) {
                await("gateway ready", 60, gateway::ready);
                SoakPhases phases = new SoakPhases();
                CountDownLatch subscribed = new CountDownLatch(clients);
                List<SoakClient> all = new ArrayList<>();
                // The first ones freeze; topics go round-robin, so every policy gets its share.
                int frozenCount = Math.max(topics.size(), (int) Math.round(clients * frozenPercent / 100));
                URI uri = URI.create("ws://127.0.0.1:" + gateway.port() + "/ws");
                for (int i = 0; i < clients; i++) {
                    SoakClient client = new SoakClient(topics.get(i % topics.size()), i < frozenCount, subscribed,
                            phases);
                    all.add(client);
                    Bootstrap bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                            .handler(new ChannelInitializer<SocketChannel>() {
                                @Override
                                protected void initChannel(SocketChannel ch) {
                                    if (client.frozenCandidate) {
                                        ch.config().setReceiveBufferSize(4096);
                                    }
                                    ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                            new WebSocketClientProtocolHandler(WebSocketClientProtocolConfig.newBuilder()
                                                    .webSocketUri(uri).subprotocol("fanwire.v1.proto")
                                                    .maxFramePayloadLength(1 << 20).handleCloseFrames(false)
                                                    .build()),
                                            client);
                                }
                            });
                    bootstrap.connect(new InetSocketAddress("127.0.0.1", gateway.port()),
                            new InetSocketAddress(sources[i % sources.length], 0)).sync();
                }
                if (!subscribed.await(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("only " + (clients - subscribed.getCount()) + " subscribed");
                }
                List<SoakClient> frozen = all.stream().filter(c -> c.frozenCandidate).toList();
                List<SoakClient> healthy = all.stream().filter(c -> !c.frozenCandidate).toList();
                System.out.printf("soak: %d clients subscribed, %d will freeze%n", all.size(), frozen.size());

                Feed feed = new Feed(broker.bootstrapServers(), topics, keys, rate, payload);
                long start = System.nanoTime();
                phases.baselineFrom(start + TimeUnit.SECONDS.toNanos(Math.min(10, baselineS / 4)));
                Memory baselineMemory = feed.runFor(TimeUnit.SECONDS.toNanos(baselineS), gateway);
                long freezeAt = System.nanoTime();
                phases.frozenFrom(freezeAt);
                frozen.forEach(SoakClient::freeze);
                Memory frozenMemory = feed.runFor(TimeUnit.SECONDS.toNanos(frozenS), gateway);
                phases.frozenTo(System.nanoTime());
                feed.close();

                Map<String, Map<String, Integer>> perKey = feed.perKey();
                Map<String, Integer> produced = feed.produced();
                boolean delivered = awaitQuietly(120, () -> healthy.stream()
                        .allMatch(c -> c.unique() >= produced.get(c.topic) || c.failure() != null || c.closed()));
                long incomplete = healthy.stream().filter(c -> !c.contiguous(perKey.get(c.topic))).count();
                long failed = healthy.stream().filter(c -> c.failure() != null || c.closed()).count();
                long duplicates = healthy.stream().mapToLong(SoakClient::duplicates).sum();
                Histogram base = phases.baseline();
                Histogram froze = phases.frozen();
                System.out.printf("soak: records produced per topic %s%n", produced);
                System.out.printf("soak: baseline p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%d samples)%n",
                        ms(base, 50), ms(base, 99), ms(base, 99.9), base.getMaxValue() / 1e3, base.getTotalCount());
                System.out.printf("soak: frozen   p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%d samples)%n",
                        ms(froze, 50), ms(froze, 99), ms(froze, 99.9), froze.getMaxValue() / 1e3, froze.getTotalCount());
                System.out.printf("soak: memory baseline %s%nsoak: memory frozen   %s%n", baselineMemory, frozenMemory);
                System.out.printf("soak: healthy clients %d: all delivered %b, incomplete %d, failed %d, duplicates "
                        + "discarded %d%n", healthy.size(), delivered, incomplete, failed, duplicates);
                ok &= delivered && incomplete == 0 && failed == 0;
                double limit = Math.max(2 * ms(base, 99), ms(base, 99) + 250);
                System.out.printf("soak: p99 frozen %.1f ms vs limit max(2 × baseline, baseline + 250 ms) = %.1f ms%n",
                        ms(froze, 99), limit);
                ok &= ms(froze, 99) <= limit;
                ok &= frozenMemory.heldAndQueued <= frozen.size() * maxPending + healthy.size() * 1_048_576L;

                frozen.forEach(SoakClient::thaw);
                ok &= checkTreatment(frozen, perKey, produced);
                System.out.println("soak: gateway metrics at the end:");
                gateway.metrics().render().lines().filter(l -> l.startsWith("fanwire_") && !l.contains("lag"))
                        .forEach(l -> System.out.println("  " + l));
                all.forEach(SoakClient::close);
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
        System.out.println(ok ? "soak: PASSED" : "soak: FAILED");
        System.exit(ok ? 0 : 1);
    }

    private static boolean checkTreatment(List<SoakClient> frozen, Map<String, Map<String, Integer>> perKey,
                                          Map<String, Integer> produced) throws InterruptedException {
        boolean ok = true;
        for (SoakClient client : frozen) {
            String policy = client.topic.substring("soak-".length());
            boolean treated = switch (policy) {
                case "conflate" -> awaitQuietly(60, () -> client.hasNewest(perKey.get(client.topic))
                        || client.failure() != null) && client.failure() == null && !client.closed()
                        && client.gaps() == 0;
                case "drop" -> awaitQuietly(60, () -> client.covered() >= produced.get(client.topic)
                        || client.failure() != null) && client.failure() == null && !client.closed()
                        && client.covered() == produced.get(client.topic);
                default -> awaitQuietly(60, client::closed);
            };
            System.out.printf("soak: frozen client on %s: %s (messages %d, gaps %d, covered %d of %d, closed %b, "
                            + "goAway %b, close %d%s)%n", client.topic, treated ? "treated as its policy says" : "WRONG",
                    client.unique(), client.gaps(), client.covered(), produced.get(client.topic), client.closed(),
                    client.goAway(), client.closeStatus(), client.failure() == null ? "" : ", " + client.failure());
            ok &= treated;
        }
        return ok;
    }

    private static double ms(Histogram histogram, double percentile) {
        return histogram.getValueAtPercentile(percentile) / 1e3;
    }

    private static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
        if (!awaitQuietly(seconds, condition)) {
            throw new IllegalStateException("timed out waiting for " + what);
        }
    }

    private static boolean awaitQuietly(int seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    /** Gateway memory sampled once a second during a phase: maxima. */
    static final class Memory {
        long heldAndQueued;
        long held;
        long direct;
        long heap;

        void sample(Gateway gateway) {
            Map<String, Long> m = new LinkedHashMap<>();
            gateway.metrics().render().lines().filter(l -> l.startsWith("fanwire_") && !l.contains("{"))
                    .forEach(l -> m.put(l.substring(0, l.indexOf(' ')), Long.parseLong(l.substring(l.indexOf(' ') + 1))));
            long h = m.getOrDefault("fanwire_slow_consumer_held_bytes", 0L);
            held = Math.max(held, h);
            heldAndQueued = Math.max(heldAndQueued, h + m.getOrDefault("fanwire_outbound_pending_bytes", 0L));
            direct = Math.max(direct, m.getOrDefault("fanwire_direct_memory_used_bytes", 0L));
            heap = Math.max(heap, m.getOrDefault("fanwire_jvm_heap_used_bytes", 0L));
        }

        @Override
        public String toString() {
            return String.format("held max %.2f MiB, held+queued max %.2f MiB, direct max %.1f MiB, heap max %.0f MiB",
                    held / 1048576.0, heldAndQueued / 1048576.0, direct / 1048576.0, heap / 1048576.0);
        }
    }

    /** The fixed-rate producer: {@code rate} records per second per topic, keys round-robin. */
    static final class Feed implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> producer;
        private final List<String> topics;
        private final int keys;
        private final long intervalNanos;
        private final String pad;
        private final Map<String, int[]> nextSeq = new HashMap<>();
        private long sent;
        private long startNanos = -1;

        Feed(String bootstrap, List<String> topics, int keys, int rate, int payload) {
            this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5),
                    new ByteArraySerializer(), new ByteArraySerializer());
            this.topics = topics;
            this.keys = keys;
            this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
            this.pad = "p".repeat(payload);
            topics.forEach(t -> nextSeq.put(t, new int[keys]));
        }

        Memory runFor(long nanos, Gateway gateway) throws InterruptedException {
            Memory memory = new Memory();
            long now = System.nanoTime();
            if (startNanos < 0) {
                startNanos = now;
            }
            long end = now + nanos;
            long nextSample = now;
            while (true) {
                long due = startNanos + sent * intervalNanos;
                if (due >= end) {
                    return memory;
                }
                if (System.nanoTime() >= nextSample) {
                    memory.sample(gateway);
                    nextSample += TimeUnit.SECONDS.toNanos(1);
                }
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                int key = (int) (sent % keys);
                for (String topic : topics) {
                    int seq = nextSeq.get(topic)[key]++;
                    producer.send(new ProducerRecord<>(topic, ("k" + key).getBytes(StandardCharsets.UTF_8),
                            (seq + "|" + System.nanoTime() + "|" + pad).getBytes(StandardCharsets.UTF_8)));
                }
                sent++;
            }
        }

        Map<String, Map<String, Integer>> perKey() {
            Map<String, Map<String, Integer>> out = new HashMap<>();
            nextSeq.forEach((topic, seqs) -> {
                Map<String, Integer> counts = new HashMap<>();
                for (int k = 0; k < keys; k++) {
                    counts.put("k" + k, seqs[k]);
                }
                out.put(topic, counts);
            });
            return out;
        }

        Map<String, Integer> produced() {
            Map<String, Integer> out = new HashMap<>();
            nextSeq.forEach((topic, seqs) -> out.put(topic, Arrays.stream(seqs).sum()));
            return out;
        }

        @Override
        public void close() {
            producer.flush();
            producer.close();
        }
    }
}
