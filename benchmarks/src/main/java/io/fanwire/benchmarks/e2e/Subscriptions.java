package io.fanwire.benchmarks.e2e;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which channels benchmark client number {@code i} subscribes to, the same in the runner (which needs the
 * expected fan-out) and in every swarm process. Two shapes:
 * <ul>
 *   <li>{@code topic:T} — the firehose: every client subscribes to the whole topic T;</li>
 *   <li>{@code keys:T:K:P:SEED} — market data: each client subscribes to P distinct keys of K, drawn with
 *       Zipf(1) popularity (key 0 the most popular), deterministically from SEED and the client number.</li>
 * </ul>
 */
record Subscriptions(String topic, int keys, int perClient, long seed) {

    static Subscriptions parse(String spec) {
        String[] parts = spec.split(":");
        return switch (parts[0]) {
            case "topic" -> new Subscriptions(parts[1], 0, 0, 0);
            case "keys" -> new Subscriptions(parts[1], Integer.parseInt(parts[2]), Integer.parseInt(parts[3]),
                    Long.parseLong(parts[4]));
            default -> throw new IllegalArgumentException("unknown subscription spec " + spec);
        };
    }

    String spec() {
        return keys == 0 ? "topic:" + topic : "keys:" + topic + ":" + keys + ":" + perClient + ":" + seed;
    }

    static String key(int index) {
        return "K" + index;
    }

    /** Channel names for client {@code client}. */
    List<String> channelsFor(int client) {
        if (keys == 0) {
            return List.of(topic);
        }
        List<String> out = new ArrayList<>(perClient);
        for (int k : keysFor(client)) {
            out.add(topic + "/" + key(k));
        }
        return out;
    }

    /** Key indexes for client {@code client} (market shape only). */
    int[] keysFor(int client) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + client);
        double[] cumulative = zipfCumulative(keys);
        boolean[] taken = new boolean[keys];
        int[] out = new int[perClient];
        for (int n = 0; n < perClient; ) {
            double u = random.nextDouble() * cumulative[keys - 1];
            int lo = 0;
            int hi = keys - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cumulative[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            if (!taken[lo]) {
                taken[lo] = true;
                out[n++] = lo;
            }
        }
        return out;
    }

    private static double[] zipfCumulative(int n) {
        double[] cumulative = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1.0 / (i + 1);
            cumulative[i] = sum;
        }
        return cumulative;
    }
}
