package io.fanwire.benchmarks.chaos;

import io.fanwire.client.FanwireClient;
import io.fanwire.client.FanwireMessage;
import io.fanwire.client.Format;
import io.fanwire.client.SubscribeOptions;
import io.fanwire.client.Subscription;
import io.fanwire.client.SubscriptionListener;
import io.fanwire.client.SubscriptionState;
import io.netty.channel.EventLoopGroup;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One application on the product Java client, subscribed through the balancer to the whole chaos topic or to
 * one key of it, checking what the client hands it: per key, every sequence number once and in order. Counts
 * what it was handed, duplicates (a sequence number it had), records out of order (one it had skipped, arriving
 * late), and the longest time its subscription was not active (from leaving {@code ACTIVE} to being
 * {@code ACTIVE} again on another connection).
 *
 * <p>Threads: the client's event loop calls the listener; the counters are read by the runner after the
 * producer stopped and the client caught up (volatile reads of values written by one thread).
 */
final class VerifierClient implements SubscriptionListener, AutoCloseable {

    private final String keyPrefix;
    private final int keyCount;
    /** -1: whole topic; else the one key index this client follows. */
    private final int onlyKey;
    private final long[] last;
    private final Set<Long> missing = new HashSet<>();
    private final FanwireClient client;
    private final Subscription subscription;
    private volatile long delivered;
    private volatile long duplicates;
    private volatile long outOfOrder;
    private volatile long foreign;
    private volatile long outages;
    private volatile long longestOutageNanos;
    private volatile long inactiveSince = -1;

    VerifierClient(EventLoopGroup group, String url, Supplier<String> token, String topic, String keyPrefix,
                   int keyCount, int onlyKey) {
        this.keyPrefix = keyPrefix;
        this.keyCount = keyCount;
        this.onlyKey = onlyKey;
        this.last = new long[keyCount];
        java.util.Arrays.fill(last, -1);
        this.client = FanwireClient.builder(url).format(Format.PROTO).token(token).eventLoopGroup(group)
                .backoff(Duration.ofMillis(200), Duration.ofSeconds(5)).build();
        String channel = onlyKey < 0 ? topic : topic + "/" + key(keyPrefix, onlyKey);
        this.subscription = client.subscribe(channel, SubscribeOptions.DEFAULT, this);
    }

    static String key(String prefix, int index) {
        return String.format("%s-%03d", prefix, index);
    }

    boolean active() {
        return subscription.state() == SubscriptionState.ACTIVE;
    }

    @Override
    public void onMessage(FanwireMessage message) {
        String key = message.key();
        if (key == null || !key.startsWith(keyPrefix) || key.length() != keyPrefix.length() + 4) {
            foreign++;
            return;
        }
        int k = Integer.parseInt(key, keyPrefix.length() + 1, key.length(), 10);
        long seq = Long.parseLong(new String(message.payload(), StandardCharsets.US_ASCII));
        delivered++;
        long previous = last[k];
        if (seq == previous + 1) {
            last[k] = seq;
        } else if (seq > previous + 1) {
            for (long s = previous + 1; s < seq; s++) {
                missing.add(k * (1L << 40) + s);
            }
            last[k] = seq;
        } else if (missing.remove(k * (1L << 40) + seq)) {
            outOfOrder++;
        } else {
            duplicates++;
        }
    }

    @Override
    public void onStateChange(SubscriptionState state) {
        long now = System.nanoTime();
        if (state == SubscriptionState.ACTIVE) {
            if (inactiveSince >= 0) {
                longestOutageNanos = Math.max(longestOutageNanos, now - inactiveSince);
                inactiveSince = -1;
            }
        } else if (inactiveSince < 0 && state == SubscriptionState.RESUMING) {
            inactiveSince = now;
            outages++;
        }
    }

    /** True once this client has the last record sent of every key it follows. */
    boolean caughtUp(SequenceProducer producer) {
        if (delivered < 0) {
            return false; // never: reading the volatile first makes the loop's writes to last[] visible
        }
        for (int k = 0; k < keyCount; k++) {
            if ((onlyKey < 0 || onlyKey == k) && last[k] < producer.sentFor(k) - 1
                    && !producer.failed(k, producer.sentFor(k) - 1)) {
                return false;
            }
        }
        return true;
    }

    /** Records sent (and not failed) that this client was never handed. */
    long lost(SequenceProducer producer) {
        long lost = delivered < 0 ? 1 : 0; // the volatile read, as in caughtUp
        for (long entry : Set.copyOf(missing)) {
            if (!producer.failed((int) (entry >>> 40), entry & ((1L << 40) - 1))) {
                lost++;
            }
        }
        for (int k = 0; k < keyCount; k++) {
            if (onlyKey < 0 || onlyKey == k) {
                for (long s = last[k] + 1; s < producer.sentFor(k); s++) {
                    if (!producer.failed(k, s)) {
                        lost++;
                    }
                }
            }
        }
        return lost;
    }

    long delivered() {
        return delivered;
    }

    long duplicates() {
        return duplicates;
    }

    long outOfOrder() {
        return outOfOrder;
    }

    long foreign() {
        return foreign;
    }

    long outages() {
        return outages;
    }

    /** The longest time without an active subscription, in ms; a subscription still inactive counts until now. */
    double longestOutageMillis() {
        long longest = longestOutageNanos;
        long since = inactiveSince;
        if (since >= 0) {
            longest = Math.max(longest, System.nanoTime() - since);
        }
        return longest / 1e6;
    }

    @Override
    public void close() {
        client.closeAsync();
    }
}
