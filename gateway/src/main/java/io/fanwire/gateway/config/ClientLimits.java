package io.fanwire.gateway.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Limits on what clients may hold and send, beyond the older per-connection keys in {@link GatewayConfig}.
 * Immutable and validated when built; any thread. docs/security.md lists every limit with its answer.
 *
 * @param allowedOrigins lower-cased origins, or {@code ["*"]} for any
 */
public record ClientLimits(
        int maxConnections,
        int descriptorReserve,
        int maxConnectionsPerAddress,
        Duration handshakeTimeout,
        List<String> allowedOrigins,
        int framesPerSecond,
        int framesBurst,
        int maxPublishPayloadBytes) {

    public ClientLimits {
        allowedOrigins = allowedOrigins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
        if (allowedOrigins.isEmpty()) {
            throw new ConfigException("ws.allowed.origins is empty: name the allowed origins, or * for any");
        }
        if (maxConnectionsPerAddress > maxConnections) {
            maxConnectionsPerAddress = maxConnections;
        }
    }

    /** True when a browser page from {@code origin} (an Origin header, or null when absent) may connect. */
    public boolean allowsOrigin(String origin) {
        return origin == null || allowedOrigins.contains("*")
                || allowedOrigins.contains(origin.toLowerCase(Locale.ROOT));
    }
}
