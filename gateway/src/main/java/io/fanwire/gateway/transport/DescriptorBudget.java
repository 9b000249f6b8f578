package io.fanwire.gateway.transport;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many client connections the process's file descriptors allow: the descriptor limit ({@code ulimit -n}, read
 * once at start-up) minus {@code ws.descriptor.reserve}, and never more than {@code ws.max.connections}.
 *
 * <p>Why a cap below the limit: a node at its descriptor limit fails {@code accept} with EMFILE, leaving clients in
 * the kernel's backlog with no answer, and cannot open a socket to Kafka either (a broker restart or a leader move
 * needs new connections), so it stops consuming for everyone. Below the cap, an excess connection is accepted and
 * closed at once (counted as {@code limit="connections"}), and the reserve stays free for Kafka.
 *
 * <p>Any thread; stateless.
 */
final class DescriptorBudget {

    private static final Logger log = LoggerFactory.getLogger(DescriptorBudget.class);

    /** Returned by {@link #processLimit} where the platform does not say (not a Unix JVM). */
    static final long UNKNOWN = -1;

    private DescriptorBudget() {
    }

    /** The process's limit on open file descriptors, or {@link #UNKNOWN}. */
    static long processLimit() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return unix.getMaxFileDescriptorCount();
        }
        return UNKNOWN;
    }

    /**
     * The most client connections to hold: {@code configured}, capped at {@code descriptorLimit - reserve} (at
     * least 1) when the limit is known. Logs a warning when the cap applies.
     */
    static int connectionCap(int configured, long descriptorLimit, int reserve) {
        if (descriptorLimit == UNKNOWN) {
            return configured;
        }
        long allowed = Math.max(1, descriptorLimit - reserve);
        if (configured <= allowed) {
            return configured;
        }
        log.warn("ws.max.connections is {} but the process may open only {} file descriptors, {} of them kept for "
                        + "Kafka and files (ws.descriptor.reserve): holding at most {} client connections. Raise the "
                        + "limit (ulimit -n, systemd LimitNOFILE) to hold more.", configured, descriptorLimit,
                reserve, allowed);
        return (int) allowed;
    }
}
