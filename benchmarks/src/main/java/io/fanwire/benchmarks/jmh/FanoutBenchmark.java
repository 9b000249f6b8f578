package io.fanwire.benchmarks.jmh;

import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.auth.Authenticator;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.config.ClientLimits;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.fanout.LoopDelivery;
import io.fanwire.gateway.policy.SlowConsumerPolicies;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import io.fanwire.gateway.session.OutboundWriter;
import io.fanwire.gateway.session.Session;
import io.fanwire.gateway.history.RecordHistory;
import io.fanwire.gateway.session.PendingBudget;
import io.fanwire.gateway.session.SessionServices;
import io.fanwire.gateway.session.SessionSettings;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.gateway.subscription.SubscriptionTable;
import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The event loop's side of the fan-out: the real {@link LoopDelivery} writing pre-encoded records to
 * {@code channels} real Netty channels, each a real {@link Session} subscribed to the whole topic in a real
 * {@link SubscriptionTable}. A "task" here is what the loop's drain does per poll batch when it keeps up:
 * {@code deliver(batch)} then {@code flushTouched()}.
 *
 * <p><b>Scores are per delivery</b> (one record written to one connection), for every parameter: each
 * invocation makes exactly {@value #DELIVERIES_PER_INVOCATION} deliveries, as
 * {@code DELIVERIES_PER_INVOCATION / channels} tasks of one record ({@link #oneRecordPerTask}) or
 * {@code DELIVERIES_PER_INVOCATION / (16 × channels)} tasks of a 16-record batch ({@link #batchOf16PerTask}),
 * and says so with {@link OperationsPerInvocation} (whose value must be a constant, hence the fixed count;
 * {@code channels} must divide {@value #MAX_CHANNELS}). So ns/op is ns per delivery, and {@code -prof gc}'s
 * {@code gc.alloc.rate.norm} is heap bytes per delivery. The cost of one task is the score × channels ×
 * records in it. Each batch is built as {@code Fanout.dispatch} builds it: a fresh list of records, each
 * retained once for the loop, which releases them.
 *
 * <p>Each channel is an {@link EmbeddedChannel} (its event loop counts every thread as its own, so the
 * benchmark thread is the loop) whose pipeline is {@link DiscardingOutboundHandler} next to the head, then
 * {@link ContextCaptureHandler} where the session handler would be. Measured: subscription lookup, the
 * session's write checks, the copy of each frame into the session's gathering buffer (allocated from
 * {@link #allocator} once per session and task), the trip of that buffer through the pipeline, the flush per
 * touched session, the task's bookkeeping, and the release of the buffers ({@link Release}).
 *
 * <p>Not measured: the socket, the kernel and {@code ChannelOutboundBuffer} (the writes and flushes stop at
 * the discarding handler, so no entry is queued, no pending-bytes counter moves, no syscall happens); the
 * handlers that the real pipeline has between the session and the head, each a pass-through for record
 * frames; the ingest thread's encoding ({@link EncodeBenchmark}); and the hand-off to the loop (the inbox
 * and {@code EventLoop.execute}). All sessions speak {@code fanwire.v1.proto}.
 *
 * <p>The benchmark thread is a Netty {@code FastThreadLocalThread} ({@link FastThreadLocalExecutor}, set in
 * {@code jvmArgsPrepend}; the setup refuses any other thread), as an event loop's thread is: only on such a
 * thread do Netty 4.2's allocators serve buffers from a per-thread cache and reuse their wrapper objects.
 * Netty's leak sampling is off in the fork: a sampled buffer allocates a tracking wrapper, and whether that
 * happens is chance.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1,
        jvmArgsPrepend = {FastThreadLocalExecutor.JMH_EXECUTOR, FastThreadLocalExecutor.JMH_EXECUTOR_CLASS},
        jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xms2g", "-Xmx2g",
                // As deploy/jvm.options ships it: a drain to 10,000 channels holds 10,000 duplicates at once.
                "-Dio.netty.recycler.maxCapacityPerThread=32768"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FanoutBenchmark {

    /** When the stand-in for the socket releases what the fan-out writes. */
    public enum Release {
        /** As each message is written: a buffer can be reused for the next write at once. */
        WRITE,
        /**
         * At the next flush, like a socket channel: every buffer of a task is alive until the task's
         * flushes, so the allocator's per-thread caches are under the same pressure as in the gateway. Its time
         * includes a second pass over every channel's held writes, which at thousands of channels misses
         * the caches: trust its allocation figure more than its time.
         */
        FLUSH
    }

    private static final ByteBufAllocator ADAPTIVE = new AdaptiveByteBufAllocator();

    static final int BATCH = 16;
    static final int MAX_CHANNELS = 10_000;
    static final int DELIVERIES_PER_INVOCATION = BATCH * MAX_CHANNELS;

    @Param({"1", "100", "10000"})
    int channels;

    @Param({"100", "1024"})
    int payloadBytes;

    @Param({"WRITE", "FLUSH"})
    Release release;

    /**
     * The allocator of the channels, which the sessions gather frames in: Netty's pooled allocator (what the
     * gateway configures) or its adaptive one (Netty 4.2's default).
     */
    @Param({"pooled", "adaptive"})
    String allocator;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private GatewayMetrics metrics;
    private LoopDelivery delivery;
    private SubscriptionTable<Session> table;
    private EmbeddedChannel[] embedded;
    private DiscardingOutboundHandler[] sinks;
    private EncodedRecord record;
    private List<EncodedRecord> batch;
    private int oneRecordTasks;
    private int batchTasks;

    @Setup
    public void setUp() {
        if (!FastThreadLocalThread.currentThreadWillCleanupFastThreadLocals()) {
            throw new IllegalStateException("not on a FastThreadLocalThread, so not measuring what an event loop"
                    + " does: run with " + FastThreadLocalExecutor.JMH_EXECUTOR + " "
                    + FastThreadLocalExecutor.JMH_EXECUTOR_CLASS + " (the @Fork default)");
        }
        if (channels < 1 || MAX_CHANNELS % channels != 0) {
            throw new IllegalArgumentException("channels must divide " + MAX_CHANNELS + ", was " + channels);
        }
        oneRecordTasks = DELIVERIES_PER_INVOCATION / channels;
        batchTasks = DELIVERIES_PER_INVOCATION / (BATCH * channels);

        metrics = new GatewayMetrics();
        // No history kept (budget 0), as with history.partition.max.bytes=0; the partition's positions are.
        RecordHistory history = new RecordHistory(0, 1);
        history.register(SampleRecords.TOPIC, 3, 0);
        SessionServices services = new SessionServices(null, metrics, null, history, null, null, List.of(),
                new Authenticator(null, true), AccessRules.parse("any * anyone"),
                new ClientLimits(Integer.MAX_VALUE, 512, Integer.MAX_VALUE, Duration.ofSeconds(10), List.of("*"),
                        Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE), () -> true,
                new SessionSettings(65_536, 256, 1000, Long.MAX_VALUE,
                        SlowConsumerPolicies.always(SlowConsumerPolicy.CONFLATE), PayloadFormats.none()),
                new PendingBudget(Long.MAX_VALUE, 1));
        table = new SubscriptionTable<>();
        ChannelName wholeTopic = ChannelName.parse(SampleRecords.TOPIC, 256);
        embedded = new EmbeddedChannel[channels];
        sinks = new DiscardingOutboundHandler[channels];
        for (int i = 0; i < channels; i++) {
            sinks[i] = new DiscardingOutboundHandler(release);
            ContextCaptureHandler capture = new ContextCaptureHandler();
            embedded[i] = new EmbeddedChannel(sinks[i], capture);
            embedded[i].config().setAllocator(allocator.equals("adaptive") ? ADAPTIVE : PooledByteBufAllocator.DEFAULT);
            if (embedded[i].unsafe().outboundBuffer() == null) {
                throw new IllegalStateException("channel is not open: Session.write would write nothing");
            }
            // The pipeline has no WebSocket encoder: record frames are written from where the session stands.
            OutboundWriter out = new OutboundWriter(capture.context(), embedded[i].unsafe().outboundBuffer(),
                    Subprotocol.PROTO, PayloadFormats.none(), null, Long.MAX_VALUE);
            table.add(new Session(capture.context(), out, Subprotocol.PROTO, 0, services), wholeTopic);
        }

        // What the loop's drain task does per poll batch: deliver, then one flush per touched session.
        delivery = new LoopDelivery(embedded[0].eventLoop(), 0, table, history, metrics);
        record = EncodedRecord.encode(SampleRecords.record(0, "K0", payloadBytes), alloc);
        batch = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            batch.add(EncodedRecord.encode(SampleRecords.record(i, "K" + i, payloadBytes), alloc));
        }
    }

    @Benchmark
    @OperationsPerInvocation(DELIVERIES_PER_INVOCATION)
    public void oneRecordPerTask() {
        for (int task = 0; task < oneRecordTasks; task++) {
            delivery.deliver(List.of(record.retain()));
            delivery.flushTouched();
        }
    }

    @Benchmark
    @OperationsPerInvocation(DELIVERIES_PER_INVOCATION)
    public void batchOf16PerTask() {
        for (int task = 0; task < batchTasks; task++) {
            List<EncodedRecord> wanted = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                wanted.add(batch.get(i).retain());
            }
            delivery.deliver(wanted);
            delivery.flushTouched();
        }
    }

    /** Fails the run if the fan-out kept a reference or left a write unflushed: the figures would be wrong. */
    @TearDown
    public void tearDown() {
        List<EncodedRecord> all = new ArrayList<>(batch);
        all.add(record);
        for (EncodedRecord r : all) {
            int frameRefs = r.frame(Subprotocol.PROTO, alloc).refCnt();
            if (r.refCnt() != 1 || frameRefs != 1) {
                throw new IllegalStateException("record references leaked: " + r.refCnt() + ", frame " + frameRefs);
            }
            r.release();
        }
        for (int i = 0; i < channels; i++) {
            if (sinks[i].held() != 0) {
                throw new IllegalStateException("channel " + i + " has unflushed writes");
            }
            embedded[i].finishAndReleaseAll();
        }
    }
}
