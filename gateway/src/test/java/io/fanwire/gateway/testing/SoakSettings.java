package io.fanwire.gateway.testing;

import io.fanwire.gateway.Gateway;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The knobs that turn the short fault tests of {@code mvn verify} into soak runs ({@code scripts/soak-resume.sh}):
 * system properties with the short variants' values as defaults. Immutable.
 *
 * @param clients          {@code fanwire.soak.clients}: product clients ({@link VerifiedClient})
 * @param recordsPerSecond {@code fanwire.soak.rate}: what the producer writes
 * @param phase            {@code fanwire.soak.phase.seconds}: how long records stream between two faults
 */
public record SoakSettings(int clients, int recordsPerSecond, Duration phase) {

    public static SoakSettings fromSystemProperties(int clients, int recordsPerSecond) {
        return new SoakSettings(Integer.getInteger("fanwire.soak.clients", clients),
                Integer.getInteger("fanwire.soak.rate", recordsPerSecond),
                Duration.ofSeconds(Integer.getInteger("fanwire.soak.phase.seconds", 0)));
    }

    /** Lets records stream for the phase (soak runs only; the short variants wait for progress instead). */
    public void streamForAPhase() throws InterruptedException {
        if (!phase.isZero()) {
            TestGateway.pause(phase);
        }
    }

    /**
     * One line with the run's figures, for the soak script to collect, measured from every client's strict log:
     * {@code produced} records written, {@code expected} deliveries (each client's share of them),
     * {@code delivered} records handed to the applications, {@code lost} expected ones never handed over,
     * {@code duplicatesToApp} records handed over twice (or out of order), {@code duplicatesDiscarded} records
     * the client library dropped by offset. Call before the checks, so that a failing run reports too.
     *
     * @param expected what client {@code i} should have received: the whole of {@code sent}, or one key of it
     */
    public void report(String test, List<VerifiedClient> clients, Map<String, Integer> sent,
                       IntFunction<Map<String, Integer>> expected, Gateway lastNode) {
        long[] outagesMs = clients.stream().mapToLong(c -> c.longestOutage().toMillis()).sorted().toArray();
        long maxOutageMs = outagesMs.length == 0 ? 0 : outagesMs[outagesMs.length - 1];
        long reconnects = clients.stream().mapToLong(c -> c.connections() - 1).sum();
        long produced = sent.values().stream().mapToLong(Integer::longValue).sum();
        long expectedTotal = 0;
        long delivered = 0;
        long lost = 0;
        long duplicates = 0;
        long discarded = 0;
        for (int i = 0; i < clients.size(); i++) {
            VerifiedClient client = clients.get(i);
            Map<String, Integer> share = expected.apply(i);
            expectedTotal += share.values().stream().mapToLong(Integer::longValue).sum();
            synchronized (client.log()) {
                delivered += client.log().received();
                lost += client.log().lost(share);
                duplicates += client.log().duplicates();
            }
            discarded += client.subscriptionOfClient().duplicatesDiscarded();
        }
        System.out.printf("SOAK %s clients=%d rate=%d/s phase=%ds produced=%d expected=%d delivered=%d lost=%d "
                + "duplicatesToApp=%d duplicatesDiscarded=%d reconnects=%d maxOutageMs=%d%n", test, clients.size(),
                recordsPerSecond, phase.toSeconds(), produced, expectedTotal, delivered, lost, duplicates, discarded,
                reconnects, maxOutageMs);
        // Each client's longest time without a node: its distribution, and where the worst one went.
        if (outagesMs.length > 0) {
            VerifiedClient worst = clients.stream()
                    .max(java.util.Comparator.comparing(VerifiedClient::longestOutage)).orElseThrow();
            System.out.printf("SOAK %s longestOutageMs p50=%d p90=%d p99=%d max=%d; worst %s%n", test,
                    outagesMs[outagesMs.length / 2], outagesMs[outagesMs.length * 9 / 10],
                    outagesMs[outagesMs.length * 99 / 100], maxOutageMs, worst.longestOutageParts());
        }
        // The last node runs in this JVM, so its heap figure includes the clients; its direct memory is its own.
        System.gc();
        System.out.printf("SOAK %s lastNode directBytes=%d jvmHeapAfterGcWithClientsBytes=%d%n", test,
                TestGateway.metric(lastNode, "fanwire_direct_memory_used_bytes"),
                Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
    }
}
