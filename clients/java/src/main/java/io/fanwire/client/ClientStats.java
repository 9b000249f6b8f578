package io.fanwire.client;

/**
 * Counters of one {@link FanwireClient} since it was built, for monitoring and tests. Immutable snapshot.
 *
 * @param attempts    connection attempts started (the first included)
 * @param connections attempts that reached {@link ClientState#OPEN}
 * @param failures    attempts that ended before OPEN (refused, 401, wrong subprotocol, timeout, ...)
 * @param goAways     {@code GoAway} frames received
 * @param livenessDrops connections replaced because they stopped answering
 * @param refreshes   token refreshes the gateway accepted
 */
public record ClientStats(long attempts, long connections, long failures, long goAways, long livenessDrops,
                          long refreshes) {
}
