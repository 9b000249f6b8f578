package io.fanwire.gateway.admin;

import java.util.Locale;

/**
 * The limits a client can run into; the label of {@code fanwire_limit_exceeded_total}. docs/security.md lists
 * each with its key, default and answer.
 */
public enum Limit {
    /** A message over {@code ws.max.frame.bytes}: close 1009. */
    FRAME_SIZE,
    /** A subscribe past {@code ws.max.subscriptions}: LIMIT_EXCEEDED. */
    SUBSCRIPTIONS,
    /** A frame over {@code ws.client.frames.per.second}: LIMIT_EXCEEDED, or no pong. */
    FRAME_RATE,
    /** A connection past {@code ws.max.connections}: closed at accept. */
    CONNECTIONS,
    /** A connection past {@code ws.max.connections.per.address}: closed at accept. */
    CONNECTIONS_PER_ADDRESS,
    /** No upgrade within {@code ws.handshake.timeout.ms}: closed. */
    HANDSHAKE_TIMEOUT,
    /** Nothing received for {@code ws.idle.timeout.ms}: close 1001. */
    IDLE_TIMEOUT,
    /** An upgrade from an Origin not in {@code ws.allowed.origins}: HTTP 403. */
    ORIGIN,
    /** A channel longer than {@code ws.max.channel.length}: BAD_REQUEST. */
    CHANNEL_LENGTH,
    /** A publish payload over {@code publish.max.payload.bytes}: LIMIT_EXCEEDED. */
    PAYLOAD_SIZE,
    /**
     * The node's pending bytes past {@code ws.max.pending.bytes.total}: the connections furthest behind get a
     * GoAway and close 1008.
     */
    NODE_PENDING_BYTES,
    /** An upgrade while the node is starting (partitions not known, snapshot topics not loaded): HTTP 503. */
    NOT_READY;

    /** The Prometheus label value. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
