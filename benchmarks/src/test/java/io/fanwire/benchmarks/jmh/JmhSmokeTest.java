package io.fanwire.benchmarks.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every JMH benchmark of this module once, in this JVM (no fork), for a tenth of a second with the
 * smallest interesting parameters, so that {@code mvn verify} catches a benchmark that no longer runs (a
 * changed gateway API, a leaked reference, a generated class that went missing). It checks that each
 * produced a score; it never judges the score.
 */
class JmhSmokeTest {

    private static final List<Class<?>> BENCHMARK_CLASSES =
            List.of(EncodeBenchmark.class, EncodeOnFastThreadBenchmark.class, FanoutBenchmark.class,
                    SubscriptionLookupBenchmark.class);

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void everyBenchmarkRunsAndScores() throws RunnerException {
        Options options = new OptionsBuilder()
                .include("^" + Pattern.quote(EncodeBenchmark.class.getPackageName() + ".") + "\\w+Benchmark\\.")
                .forks(0)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .param("payloadBytes", "100")
                .param("channels", "100")
                .param("release", FanoutBenchmark.Release.FLUSH.name())
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();

        Collection<RunResult> results = runOnFastThreadLocalThreads(options);

        Set<String> ran = new TreeSet<>();
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            ran.add(name);
            double score = result.getPrimaryResult().getScore();
            assertTrue(score > 0, name + " scored " + score);
        }
        assertEquals(declaredBenchmarks(), ran, "benchmarks found in META-INF/BenchmarkList and run");
    }

    /**
     * Runs with JMH's worker threads made by {@link FastThreadLocalExecutor}, as a forked run's
     * {@code jvmArgsPrepend} would; here there is no fork, so this JVM's JMH properties are set instead.
     */
    private static Collection<RunResult> runOnFastThreadLocalThreads(Options options) throws RunnerException {
        String executor = System.setProperty("jmh.executor", "CUSTOM");
        String executorClass = System.setProperty("jmh.executor.class", FastThreadLocalExecutor.class.getName());
        try {
            return new Runner(options).run();
        } finally {
            restore("jmh.executor", executor);
            restore("jmh.executor.class", executorClass);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private static Set<String> declaredBenchmarks() {
        Set<String> names = new TreeSet<>();
        for (Class<?> type : BENCHMARK_CLASSES) {
            for (Method method : type.getMethods()) {
                if (method.isAnnotationPresent(Benchmark.class)) {
                    names.add(type.getName() + "." + method.getName());
                }
            }
        }
        return names;
    }
}
