package io.fanwire.gateway.policy;

import java.util.Locale;

/**
 * What a connection gets for a record that arrives while it is not reading fast enough: while its outbound
 * buffer is above the high water mark ({@code ws.write.buffer.high.bytes}) and until it falls below the low
 * one ({@code ws.write.buffer.low.bytes}).
 */
public enum SlowConsumerPolicy {

    /**
     * Keep only the newest pending record per key; deliver those when the connection drains, in the order of
     * their offsets. Older values of a key are skipped silently. Keyless records fall back to {@link #DROP}.
     */
    CONFLATE,
    /** Drop the record; once the connection drains, send a {@code Gap} naming the dropped offsets. */
    DROP,
    /** Close the connection: a {@code GoAway}, then close status 1008 "slow consumer". */
    DISCONNECT;

    /** The name used in configuration: {@code conflate}, {@code drop} or {@code disconnect}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a configuration name; throws {@link IllegalArgumentException} naming the choices. */
    public static SlowConsumerPolicy parse(String name) {
        for (SlowConsumerPolicy policy : values()) {
            if (policy.configName().equals(name)) {
                return policy;
            }
        }
        throw new IllegalArgumentException("unknown policy '" + name + "': use conflate, drop or disconnect");
    }
}
