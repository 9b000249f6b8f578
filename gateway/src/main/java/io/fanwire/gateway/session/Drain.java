package io.fanwire.gateway.session;

import java.time.Duration;

/**
 * Fire this user event down a connection's pipeline to drain it: the client gets a {@code GoAway} with its
 * resume positions and the hints below, delivery to it stops, and the connection is closed with 1001 after
 * {@code closeIn} unless the client closes it first. Immutable; any thread.
 *
 * @param reason            {@code GoAway.reason}
 * @param reconnectWithinMs {@code GoAway.reconnect_within_ms}: clients spread their reconnects over this
 * @param closeIn           the grace period before the server closes the connection
 */
public record Drain(String reason, long reconnectWithinMs, Duration closeIn) {
}
