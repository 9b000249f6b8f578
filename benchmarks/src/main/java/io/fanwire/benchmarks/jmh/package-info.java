/**
 * JMH micro-benchmarks of the gateway's hot path, each a class named for the step it measures:
 * {@link io.fanwire.benchmarks.jmh.EncodeBenchmark} (ingest thread: record to frame),
 * {@link io.fanwire.benchmarks.jmh.SubscriptionLookupBenchmark} (event loop: who wants this record) and
 * {@link io.fanwire.benchmarks.jmh.FanoutBenchmark} (event loop: one poll batch written to N real Netty
 * channels by the real {@code LoopDelivery}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar -prof gc 'Fanout|Encode|Lookup'}. Defaults
 * (one fork, 3×1 s warmup, 5×1 s measurement) suit a 2-core machine; {@code -f}, {@code -wi}, {@code -i},
 * {@code -p name=v1,v2} override them. {@code JmhSmokeTest} runs every method once inside {@code mvn verify};
 * it checks that they run, never how fast. Figures go to {@code benchmarks/results/}.
 */
package io.fanwire.benchmarks.jmh;
