package io.fanwire.gateway.testing;

import io.fanwire.gateway.Gateway;
import java.time.Duration;
import java.util.List;

/**
 * The knobs that turn the short fault tests of {@code mvn verify} into soak runs ({@code scripts/soak-resume.sh}):
 * system properties with the short variants' values as defaults. Immutable.
 *
 * @param clients          {@code fanwire.soak.clients}: resuming clients
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

    /** One line with the run's figures, for the soak script to collect. */
    public void report(String test, List<ResumingClient> clients, int records, Gateway lastNode) {
        long[] outagesMs = clients.stream().mapToLong(c -> c.longestOutage().toMillis()).sorted().toArray();
        long maxOutageMs = outagesMs.length == 0 ? 0 : outagesMs[outagesMs.length - 1];
        int reconnects = clients.stream().mapToInt(c -> c.connections() - 1).sum();
        long delivered = clients.stream().mapToLong(ResumingClient::received).sum();
        long discarded = clients.stream().mapToLong(c -> c.log().discarded()).sum();
        // Called after every client's verdict passed: none lost a record or kept a duplicate.
        System.out.printf("SOAK %s clients=%d rate=%d/s phase=%ds records=%d delivered=%d reconnects=%d "
                + "maxOutageMs=%d lost=0 duplicatesKept=0 duplicatesDiscarded=%d%n", test, clients.size(),
                recordsPerSecond, phase.toSeconds(), records, delivered, reconnects, maxOutageMs, discarded);
        // Each client's longest time without a node: its distribution, and where the worst one went.
        if (outagesMs.length > 0) {
            ResumingClient worst = clients.stream()
                    .max(java.util.Comparator.comparing(ResumingClient::longestOutage)).orElseThrow();
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
