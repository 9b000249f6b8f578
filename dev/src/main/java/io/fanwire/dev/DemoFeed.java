package io.fanwire.dev;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dev mode's synthetic market-data feed: a random walk of bid/ask quotes for a set of symbols, produced to
 * {@code quotes} keyed by symbol at a fixed rate, plus an occasional trade on {@code trades}. Each JSON
 * payload carries the producer's send time ({@code ts}, epoch milliseconds), so a client can see latency.
 *
 * <p>Runs on its own thread, {@code fanwire-demo-feed}; {@link #close} from any thread.
 */
public final class DemoFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DemoFeed.class);
    private static final List<String> SYMBOLS = List.of(
            "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "BRK.B", "AVGO", "JPM",
            "LLY", "V", "UNH", "XOM", "MA", "JNJ", "PG", "HD", "COST", "MRK",
            "ABBV", "CVX", "CRM", "BAC", "NFLX", "AMD", "PEP", "KO", "TMO", "WMT",
            "ADBE", "LIN", "MCD", "CSCO", "ACN", "ABT", "ORCL", "INTC", "DIS", "WFC",
            "QCOM", "IBM", "CAT", "GE", "TXN", "AMGN", "PFE", "NKE", "SBUX", "BA");
    private static final long TICK_NANOS = Duration.ofMillis(10).toNanos();
    private static final int TRADE_EVERY = 10;

    private final KafkaProducer<byte[], byte[]> producer;
    private final List<String> symbols;
    private final double[] mids;
    private final long[] volumes;
    private final int ratePerSecond;
    private final Thread thread;
    private final SplittableRandom random = new SplittableRandom(42);
    private final AtomicBoolean failing = new AtomicBoolean();
    private volatile boolean running = true;

    private DemoFeed(String bootstrapServers, int ratePerSecond, int symbolCount) {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "fanwire-demo-feed");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
        this.symbols = symbols(symbolCount);
        this.mids = new double[symbols.size()];
        this.volumes = new long[symbols.size()];
        for (int i = 0; i < mids.length; i++) {
            mids[i] = 20 + random.nextInt(480) + random.nextInt(100) / 100.0;
        }
        this.ratePerSecond = ratePerSecond;
        this.thread = new Thread(this::run, "fanwire-demo-feed");
        this.thread.setDaemon(true);
    }

    /** Starts producing {@code ratePerSecond} quotes per second over {@code symbolCount} symbols. */
    public static DemoFeed start(String bootstrapServers, int ratePerSecond, int symbolCount) {
        DemoFeed feed = new DemoFeed(bootstrapServers, ratePerSecond, symbolCount);
        feed.thread.start();
        log.info("demo feed: {} quotes/s over {} symbols to 'quotes', trades to 'trades'",
                ratePerSecond, feed.symbols.size());
        return feed;
    }

    /**
     * The feed on its own, for a Kafka cluster started elsewhere ({@code deploy/local/cluster}):
     * {@code DemoFeed BOOTSTRAP [RATE [SYMBOLS]]}. Runs until SIGTERM or SIGINT.
     */
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: DemoFeed BOOTSTRAP [RATE [SYMBOLS]]");
            System.exit(2);
        }
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int symbols = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        DemoFeed feed = start(args[0], rate, symbols);
        Runtime.getRuntime().addShutdownHook(new Thread(feed::close, "fanwire-demo-feed-stop"));
        Thread.currentThread().join();
    }

    static List<String> symbols(int count) {
        List<String> names = new ArrayList<>(SYMBOLS.subList(0, Math.min(count, SYMBOLS.size())));
        for (int i = names.size(); i < count; i++) {
            names.add(String.format(Locale.ROOT, "SYM%04d", i));
        }
        return List.copyOf(names);
    }

    private void run() {
        double owed = 0;
        long next = System.nanoTime();
        long sent = 0;
        while (running) {
            owed += ratePerSecond * (TICK_NANOS / 1e9);
            for (; owed >= 1; owed--) {
                int i = random.nextInt(symbols.size());
                sendQuote(i);
                if (++sent % TRADE_EVERY == 0) {
                    sendTrade(i);
                }
            }
            next += TICK_NANOS;
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            } else if (-sleep > Duration.ofSeconds(1).toNanos()) {
                next = System.nanoTime();
            }
        }
    }

    private void sendQuote(int i) {
        mids[i] = Math.max(1, mids[i] * (1 + (random.nextDouble() - 0.5) * 0.002));
        double spread = Math.max(0.01, mids[i] * 0.0002);
        volumes[i] += 100L * (1 + random.nextInt(10));
        String json = String.format(Locale.ROOT,
                "{\"symbol\":\"%s\",\"bid\":%.2f,\"ask\":%.2f,\"last\":%.2f,\"volume\":%d,\"ts\":%d}",
                symbols.get(i), mids[i] - spread / 2, mids[i] + spread / 2, mids[i], volumes[i],
                System.currentTimeMillis());
        send("quotes", symbols.get(i), json);
    }

    private void sendTrade(int i) {
        String json = String.format(Locale.ROOT,
                "{\"symbol\":\"%s\",\"price\":%.2f,\"size\":%d,\"side\":\"%s\",\"ts\":%d}",
                symbols.get(i), mids[i], 100 * (1 + random.nextInt(20)), random.nextBoolean() ? "BUY" : "SELL",
                System.currentTimeMillis());
        send("trades", symbols.get(i), json);
    }

    private void send(String topic, String key, String json) {
        producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
                json.getBytes(StandardCharsets.UTF_8)), (metadata, error) -> {
                    // Log the change of state only: a broker outage would otherwise log once per record.
                    if (error != null && running && !failing.getAndSet(true)) {
                        log.warn("demo feed cannot produce to {}: {}", topic, error.toString());
                    } else if (error == null && failing.getAndSet(false)) {
                        log.info("demo feed producing again");
                    }
                });
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }
}
