package io.fanwire.gateway.session;

import io.fanwire.gateway.history.PartitionLog;
import io.fanwire.gateway.subscription.ChannelName;

/**
 * One subscription of a connection: its channel, where its delivery started in each partition, and, while
 * it resumes, which live records it must not take (they come from its {@link Replay} instead).
 *
 * <p>Event loop only (the connection's).
 */
final class ChannelState {

    /** {@link #skip} value: the live path delivers every record of the partition. */
    static final long NO_SKIP = Long.MIN_VALUE;
    /** {@link #skip} value: the partition is being replayed; its live records are left to the replay. */
    static final long REPLAYING = Long.MAX_VALUE;

    final ChannelName name;
    /** The topic's partitions when the subscription was made, indexed by partition number (shared; read-only). */
    final PartitionLog[] logs;
    /**
     * Per partition: the offset up to which the client counts as having seen this channel when delivery
     * started: the client's resume position, or where live delivery started ({@code Subscribed.positions}).
     */
    final long[] start;
    /**
     * Null, or per partition: live records at or below this offset are not delivered through this channel
     * ({@link #REPLAYING} while replaying; the replay's last offset after it switched to live, until the
     * loop has passed it; {@link #NO_SKIP} after that).
     */
    long[] skip;
    Replay replay;

    ChannelState(ChannelName name, PartitionLog[] logs, long[] start) {
        this.name = name;
        this.logs = logs;
        this.start = start;
    }

    /** Whether a record of {@code topic} with {@code key} (null: keyless) belongs to this channel. */
    boolean matches(String topic, String key) {
        return name.topic().equals(topic) && (name.key() == null || name.key().equals(key));
    }

    /** Whether the live path delivers the record at {@code offset} of {@code partition} through this channel. */
    boolean takesLive(int partition, long offset) {
        return skip == null || partition >= skip.length || offset > skip[partition];
    }

    /** Whether every live record of every partition passes again, so {@link #skip} can go. */
    boolean skipsNothing() {
        if (skip == null) {
            return true;
        }
        for (long s : skip) {
            if (s != NO_SKIP) {
                return false;
            }
        }
        return true;
    }
}
