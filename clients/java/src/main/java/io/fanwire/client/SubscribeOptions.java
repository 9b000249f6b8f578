package io.fanwire.client;

import java.util.Map;
import java.util.TreeMap;

/**
 * How to subscribe a channel. Immutable; build with {@link #builder()}, or use {@link #DEFAULT} (live from now,
 * no rate limit).
 */
public final class SubscribeOptions {

    /** Live from the moment of the subscribe, no snapshot, no rate limit. */
    public static final SubscribeOptions DEFAULT = builder().build();

    private final boolean snapshot;
    private final double maxRate;
    private final Map<Integer, Long> resumeFrom;

    private SubscribeOptions(Builder builder) {
        this.snapshot = builder.snapshot;
        this.maxRate = builder.maxRate;
        this.resumeFrom = Map.copyOf(builder.resumeFrom);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Ask the gateway for the last value of each key first (PROTOCOL.md §4.3); only on its snapshot topics. */
    public boolean snapshot() {
        return snapshot;
    }

    /** At most this many messages per second per key, each the latest value (PROTOCOL.md §5); 0: no limit. */
    public double maxRate() {
        return maxRate;
    }

    /**
     * Positions (partition to offset of the last record already processed) to resume from on the first
     * connection, e.g. saved by an earlier run; empty: start live. Offset -1: from the partition's first record.
     */
    public Map<Integer, Long> resumeFrom() {
        return resumeFrom;
    }

    @Override
    public String toString() {
        return "SubscribeOptions{snapshot=" + snapshot + ", maxRate=" + maxRate + ", resumeFrom=" + resumeFrom + "}";
    }

    /** Builds {@link SubscribeOptions}; not thread-safe. */
    public static final class Builder {
        private boolean snapshot;
        private double maxRate;
        private final Map<Integer, Long> resumeFrom = new TreeMap<>();

        private Builder() {
        }

        /** Default false. Not together with {@link #resumeFrom}. */
        public Builder snapshot(boolean snapshot) {
            this.snapshot = snapshot;
            return this;
        }

        /** Default 0 (no limit); otherwise at least 0.01. */
        public Builder maxRate(double maxRate) {
            if (!(maxRate == 0 || maxRate >= 0.01) || Double.isInfinite(maxRate)) {
                throw new IllegalArgumentException("maxRate must be 0 (no limit) or at least 0.01: " + maxRate);
            }
            this.maxRate = maxRate;
            return this;
        }

        /** Default empty (start live). Offsets of -1 or more. */
        public Builder resumeFrom(Map<Integer, Long> positions) {
            positions.forEach((partition, offset) -> {
                if (partition < 0 || offset < -1) {
                    throw new IllegalArgumentException("bad position " + partition + "@" + offset);
                }
            });
            resumeFrom.clear();
            resumeFrom.putAll(positions);
            return this;
        }

        public SubscribeOptions build() {
            if (snapshot && !resumeFrom.isEmpty()) {
                throw new IllegalArgumentException("snapshot and resumeFrom cannot be combined");
            }
            return new SubscribeOptions(this);
        }
    }
}
