package io.fanwire.benchmarks.jmh;

import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.gateway.subscription.SubscriptionTable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link SubscriptionTable#forEachSubscriber}: the event loop's "who here wants this record", once per
 * record per loop. The table holds two topics of {@value #KEYS} keys with {@value #SUBSCRIBERS_PER_KEY}
 * subscribers each, the market-data shape:
 *
 * <ul>
 *   <li>{@link #keyedHit}: a record whose key has subscribers, in a topic nobody subscribes to whole
 *       ({@value #SUBSCRIBERS_PER_KEY} calls);</li>
 *   <li>{@link #keyedMiss}: a record whose key nobody subscribes to (no call);</li>
 *   <li>{@link #keyedHitWithWholeTopic}: a record of the topic that also has one whole-topic subscriber,
 *       who is subscribed to every key too: the dedupe path, where each keyed subscriber is looked up in
 *       the whole-topic set and that one is skipped ({@value #SUBSCRIBERS_PER_KEY} + 1 calls).</li>
 * </ul>
 *
 * <p>Each invocation looks up the next of the {@value #KEYS} keys in turn, with key strings that are equal
 * to, not the same objects as, those in the table, as for decoded record keys (whose hash, unlike here, is
 * not yet cached on the first lookup). Subscribers compare by identity, as sessions do. The visitor only
 * consumes each subscriber: not measured is anything done per subscriber (see {@link FanoutBenchmark}).
 * Scores are per lookup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SubscriptionLookupBenchmark {

    static final int KEYS = 1_000;
    static final int SUBSCRIBERS_PER_KEY = 4;

    private static final String KEYED_TOPIC = "quotes";
    private static final String MIXED_TOPIC = "trades";
    private static final SubscriptionTable.Visitor<Subscriber, Blackhole> CONSUME =
            (subscriber, blackhole) -> blackhole.consume(subscriber);

    /** A subscriber with identity equality, like a session. */
    private static final class Subscriber {
    }

    private final SubscriptionTable<Subscriber> table = new SubscriptionTable<>();
    private final String[] hitKeys = new String[KEYS];
    private final String[] missKeys = new String[KEYS];
    private Blackhole blackhole;
    private int next;

    @Setup
    public void setUp(Blackhole blackhole) {
        Subscriber wholeTopic = new Subscriber();
        table.add(wholeTopic, ChannelName.parse(MIXED_TOPIC, 256));
        for (int k = 0; k < KEYS; k++) {
            String key = "K" + k;
            for (int s = 0; s < SUBSCRIBERS_PER_KEY; s++) {
                table.add(new Subscriber(), ChannelName.parse(KEYED_TOPIC + '/' + key, 256));
                table.add(new Subscriber(), ChannelName.parse(MIXED_TOPIC + '/' + key, 256));
            }
            table.add(wholeTopic, ChannelName.parse(MIXED_TOPIC + '/' + key, 256));
            hitKeys[k] = new String(key.toCharArray());
            missKeys[k] = "M" + k;
        }
        this.blackhole = blackhole;
    }

    private int nextIndex() {
        int index = next;
        next = index + 1 == KEYS ? 0 : index + 1;
        return index;
    }

    @Benchmark
    public void keyedHit() {
        table.forEachSubscriber(KEYED_TOPIC, hitKeys[nextIndex()], blackhole, CONSUME);
    }

    @Benchmark
    public void keyedMiss() {
        table.forEachSubscriber(KEYED_TOPIC, missKeys[nextIndex()], blackhole, CONSUME);
    }

    @Benchmark
    public void keyedHitWithWholeTopic() {
        table.forEachSubscriber(MIXED_TOPIC, hitKeys[nextIndex()], blackhole, CONSUME);
    }
}
