package io.fanwire.gateway.session;

import io.fanwire.gateway.history.PartitionLog;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.protocol.v1.Position;
import java.util.Arrays;
import java.util.List;

/** Checks a {@code Subscribe.resume_from} list against the partitions this node knows. Stateless. */
final class ResumePositions {

    /** Array value for a partition the client gave no position for: it starts live. */
    static final long LIVE = Long.MIN_VALUE;

    private ResumePositions() {
    }

    /**
     * The client's position per partition ({@link #LIVE} where it gave none), or null when it gave none at
     * all; throws {@link IllegalArgumentException} with a sentence for the client when a position is invalid.
     */
    static long[] parse(List<Position> positions, PartitionLog[] logs, ChannelName channel) {
        if (positions.isEmpty()) {
            return null;
        }
        long[] from = new long[logs.length];
        Arrays.fill(from, LIVE);
        for (Position position : positions) {
            int p = position.getPartition();
            if (p < 0 || p >= logs.length || logs[p] == null) {
                throw new IllegalArgumentException("resume_from names partition " + p + ", but topic "
                        + channel.topic() + " has " + (logs.length == 0 ? "no partitions on this node yet"
                        : "partitions 0 to " + (logs.length - 1)));
            }
            if (position.getOffset() < -1) {
                throw new IllegalArgumentException("resume_from offset " + position.getOffset() + " of partition "
                        + p + " is below -1 (-1 means: from the first record)");
            }
            if (from[p] != LIVE) {
                throw new IllegalArgumentException("resume_from names partition " + p + " twice");
            }
            from[p] = position.getOffset();
        }
        return from;
    }
}
