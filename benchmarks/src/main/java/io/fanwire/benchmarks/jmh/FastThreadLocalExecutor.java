package io.fanwire.benchmarks.jmh;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's worker threads as Netty {@code FastThreadLocalThread}s, made by Netty's {@link DefaultThreadFactory}
 * like event-loop threads. Selected with {@code -Djmh.executor=CUSTOM
 * -Djmh.executor.class=io.fanwire.benchmarks.jmh.FastThreadLocalExecutor} (JMH calls the
 * {@code (int, String)} constructor).
 *
 * <p>Why: Netty 4.2 pools objects ({@code Recycler}: buffer duplicates, pooled buffer objects) and gives a
 * pooled allocator thread cache only to such threads. On JMH's plain threads every
 * {@code retainedDuplicate()} would be a new object, which on an event loop it is not.
 */
public final class FastThreadLocalExecutor extends ThreadPoolExecutor {

    static final String JMH_EXECUTOR = "-Djmh.executor=CUSTOM";
    static final String JMH_EXECUTOR_CLASS = "-Djmh.executor.class=io.fanwire.benchmarks.jmh.FastThreadLocalExecutor";

    public FastThreadLocalExecutor(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
