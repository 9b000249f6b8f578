package io.fanwire.benchmarks.jmh;

import io.netty.util.concurrent.FastThreadLocalThread;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Setup;

/**
 * {@link EncodeBenchmark}'s methods on a Netty {@code FastThreadLocalThread} ({@link FastThreadLocalExecutor})
 * instead of a plain thread: what the ingest thread would pay per record if Netty's thread factory made it,
 * so that it had a pooled-allocator thread cache and recycled {@code ByteBuf} objects. Everything else is
 * as in {@link EncodeBenchmark}.
 */
@Fork(value = 1,
        jvmArgsPrepend = {FastThreadLocalExecutor.JMH_EXECUTOR, FastThreadLocalExecutor.JMH_EXECUTOR_CLASS},
        jvmArgsAppend = {"-Dio.netty.leakDetection.level=disabled", "-Xms1g", "-Xmx1g"})
public class EncodeOnFastThreadBenchmark extends EncodeBenchmark {

    @Setup
    public void requireFastThreadLocalThread() {
        if (!FastThreadLocalThread.currentThreadWillCleanupFastThreadLocals()) {
            throw new IllegalStateException("not on a FastThreadLocalThread: run with "
                    + FastThreadLocalExecutor.JMH_EXECUTOR + " " + FastThreadLocalExecutor.JMH_EXECUTOR_CLASS
                    + " (the @Fork default)");
        }
    }
}
