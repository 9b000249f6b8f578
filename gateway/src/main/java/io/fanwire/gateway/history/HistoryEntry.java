package io.fanwire.gateway.history;

import io.fanwire.protocol.v1.ServerFrame;

/**
 * One record kept in a {@link PartitionLog}: its offset, key (null when keyless) and {@code Message} frame,
 * the same immutable frame object the live path encoded. Immutable; any thread.
 *
 * @param bytes the size the entry is charged against the partition's budget: the encoded frame's length
 */
public record HistoryEntry(long offset, String key, ServerFrame frame, int bytes) {
}
