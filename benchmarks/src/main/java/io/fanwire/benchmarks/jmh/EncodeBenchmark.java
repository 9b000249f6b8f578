package io.fanwire.benchmarks.jmh;

import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the ingest thread pays per Kafka record to turn it into the frame every client receives, and what
 * the first JSON client of a record pays on its event loop.
 *
 * <ul>
 *   <li>{@link #message}: {@code ServerFrames.message}, the protobuf {@code ServerFrame} built from the
 *       record (key decoded, channel concatenated, payload copied into a {@code ByteString});</li>
 *   <li>{@link #messageEncodeProto}: that plus {@code encodeProto} into a pooled direct buffer, WebSocket
 *       header included, and the buffer's release;</li>
 *   <li>{@link #messageEncodeJson}: the same with {@code encodeJson} (proto3 JSON via {@code JsonFormat});
 *       in the gateway this runs once per record only when some client speaks {@code fanwire.v1.json};</li>
 *   <li>{@link #encodedRecord}: {@code EncodedRecord.encode} and its release: the ingest thread's real
 *       per-record cost.</li>
 * </ul>
 *
 * <p>The benchmark thread is a plain {@code java.lang.Thread}, as the gateway's {@code fanwire-ingest} thread
 * is today. With Netty 4.2 such a thread gets no pooled-allocator thread cache
 * ({@code io.netty.allocator.useCacheForAllThreads} is false by default) and no {@code Recycler}: each frame
 * buffer is carved from and returned to a shared arena under its lock, and its {@code ByteBuf} object is
 * new. {@link EncodeOnFastThreadBenchmark} runs the same methods on a Netty {@code FastThreadLocalThread},
 * to show what making the ingest thread one would change. Allocation and release both happen on the
 * benchmark thread; in the gateway the last release is usually on an event loop.
 *
 * <p>Not measured: Kafka's own deserialisation and {@code poll}, and the hand-off to the event loops
 * ({@link FanoutBenchmark}). Netty's leak sampling is off in the fork so that a randomly sampled buffer
 * cannot skew a run. Scores are per record; {@code -prof gc}'s {@code gc.alloc.rate.norm} is heap bytes per
 * record (the pooled direct memory of the frames is not counted).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EncodeBenchmark {

    @Param({"100", "1024"})
    int payloadBytes;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private ConsumerRecord<byte[], byte[]> record;

    @Setup
    public void setUp() {
        record = SampleRecords.record(42, "AAPL", payloadBytes);
    }

    @Benchmark
    public ServerFrame message() {
        return ServerFrames.message(record);
    }

    @Benchmark
    public int messageEncodeProto() {
        ByteBuf frame = ServerFrames.encodeProto(ServerFrames.message(record), alloc);
        int length = frame.readableBytes();
        frame.release();
        return length;
    }

    @Benchmark
    public int messageEncodeJson() {
        ByteBuf frame = ServerFrames.encodeJson(ServerFrames.message(record), alloc);
        int length = frame.readableBytes();
        frame.release();
        return length;
    }

    @Benchmark
    public int encodedRecord() {
        EncodedRecord encoded = EncodedRecord.encode(record, alloc);
        int length = encoded.frame(Subprotocol.PROTO, alloc).readableBytes();
        encoded.release();
        return length;
    }
}
