package io.fanwire.gateway.testing;

import java.time.Duration;
import java.util.List;

/**
 * The knobs that turn the short fault tests of {@code mvn verify} into soak runs ({@code scripts/soak.sh}):
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
    public void report(String test, List<ResumingClient> clients, int records) {
        long maxOutageMs = clients.stream().mapToLong(c -> c.longestOutage().toMillis()).max().orElse(0);
        int reconnects = clients.stream().mapToInt(c -> c.connections() - 1).sum();
        System.out.printf("SOAK %s clients=%d rate=%d/s phase=%ds records=%d reconnects=%d maxOutageMs=%d lost=0 "
                + "duplicatesKept=0%n", test, clients.size(), recordsPerSecond, phase.toSeconds(), records,
                reconnects, maxOutageMs);
    }
}
