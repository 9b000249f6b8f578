package io.fanwire.benchmarks.e2e;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * Record values shaped like market-data quotes in JSON — symbol, bid and ask with sizes, exchange, sequence
 * number, timestamps and, to reach the wanted size, order-book levels on both sides — each carrying the
 * producer's {@link System#nanoTime()} as the number {@code sendNanos} ({@link JsonScan} reads it back). Prices
 * walk randomly per key, so consecutive quotes differ as real ones do and compression is not flattered by
 * repeated bytes. Made on the producer's thread; {@link #meanBytes} may be read from any.
 */
final class JsonQuotes implements RateProducer.RecordValues {

    private static final String[] EXCHANGES = {"XNAS", "XNYS", "ARCX", "BATS", "EDGX", "IEXG"};

    private final int targetBytes;
    private final String[] symbols;
    private final double[] mids;
    private final long[] sequence;
    private final SplittableRandom random = new SplittableRandom(11);
    private final LongAdder made = new LongAdder();
    private final LongAdder madeBytes = new LongAdder();

    /** Quotes of about {@code targetBytes} bytes (at least the size of one without book levels) for {@code keys} symbols. */
    JsonQuotes(int keys, int targetBytes) {
        this.targetBytes = targetBytes;
        this.symbols = new String[keys];
        this.mids = new double[keys];
        this.sequence = new long[keys];
        for (int k = 0; k < keys; k++) {
            symbols[k] = symbol(k);
            mids[k] = 20 + random.nextDouble() * 400;
        }
    }

    @Override
    public byte[] value(int key, long sendNanos) {
        double mid = mids[key] = Math.max(1, mids[key] * (1 + (random.nextDouble() - 0.5) * 0.001));
        double tick = 0.01;
        double bid = Math.floor(mid * 100) / 100;
        StringBuilder out = new StringBuilder(targetBytes + 64);
        out.append("{\"").append(JsonScan.SEND_NANOS_FIELD).append("\":").append(sendNanos)
                .append(",\"symbol\":\"").append(symbols[key]).append('"')
                .append(",\"seq\":").append(++sequence[key])
                .append(",\"ts\":").append(System.currentTimeMillis())
                .append(",\"exchange\":\"").append(EXCHANGES[random.nextInt(EXCHANGES.length)]).append('"')
                .append(",\"currency\":\"USD\"")
                .append(",\"bid\":").append(price(bid))
                .append(",\"ask\":").append(price(bid + tick))
                .append(",\"bidSize\":").append(100 * (1 + random.nextInt(50)))
                .append(",\"askSize\":").append(100 * (1 + random.nextInt(50)))
                .append(",\"conditions\":[\"R\"],\"tape\":\"C\"");
        int levels = 0;
        StringBuilder bids = new StringBuilder();
        StringBuilder asks = new StringBuilder();
        while (out.length() + bids.length() + asks.length() + 22 < targetBytes) {
            levels++;
            String sep = levels == 1 ? "" : ",";
            bids.append(sep).append('[').append(price(bid - levels * tick)).append(',')
                    .append(100 * (1 + random.nextInt(90))).append(']');
            asks.append(sep).append('[').append(price(bid + (levels + 1) * tick)).append(',')
                    .append(100 * (1 + random.nextInt(90))).append(']');
        }
        if (levels > 0) {
            out.append(",\"bids\":[").append(bids).append("],\"asks\":[").append(asks).append(']');
        }
        byte[] value = out.append('}').toString().getBytes(StandardCharsets.UTF_8);
        made.increment();
        madeBytes.add(value.length);
        return value;
    }

    /** The mean size of the quotes made so far; any thread. */
    double meanBytes() {
        long n = made.sum();
        return n == 0 ? Double.NaN : (double) madeBytes.sum() / n;
    }

    private static String price(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /** A ticker-like name for key {@code k}: 3 or 4 capital letters. */
    private static String symbol(int k) {
        StringBuilder out = new StringBuilder();
        int n = k + 26 * 26;
        do {
            out.append((char) ('A' + n % 26));
            n /= 26;
        } while (n > 0);
        return out.reverse().toString();
    }
}
