package io.fanwire.gateway.session;

import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.config.ConfigException;
import io.fanwire.gateway.config.GatewayConfig;
import io.fanwire.gateway.policy.SlowConsumerPolicies;
import java.util.Objects;

/**
 * What the session layer is configured with, taken from the catalog's keys ({@code config.ConfigKeys}) by
 * {@link #from}. Immutable and validated when built; any thread.
 *
 * @param maxFrameBytes        {@code ws.max.frame.bytes}: the largest client message, in one frame or joined
 * @param maxChannelLength     {@code ws.max.channel.length}
 * @param maxSubscriptions     {@code ws.max.subscriptions}: per connection
 * @param maxPendingBytes      {@code ws.max.pending.bytes}: queued plus held bytes per connection
 * @param slowConsumerPolicies {@code slow.consumer.policy}
 * @param payloadFormats       {@code payload.formats}: how JSON connections get each topic's record values
 */
public record SessionSettings(int maxFrameBytes, int maxChannelLength, int maxSubscriptions, long maxPendingBytes,
                              SlowConsumerPolicies slowConsumerPolicies, PayloadFormats payloadFormats) {

    public SessionSettings {
        if (maxFrameBytes <= 0 || maxChannelLength <= 0 || maxSubscriptions <= 0 || maxPendingBytes <= 0) {
            throw new ConfigException("session limits must be positive: frame " + maxFrameBytes + " bytes, channel "
                    + maxChannelLength + " characters, " + maxSubscriptions + " subscriptions, pending "
                    + maxPendingBytes + " bytes");
        }
        Objects.requireNonNull(slowConsumerPolicies, "slowConsumerPolicies");
        Objects.requireNonNull(payloadFormats, "payloadFormats");
    }

    /** The session layer's part of {@code config}. */
    public static SessionSettings from(GatewayConfig config) {
        return new SessionSettings(config.maxFrameBytes(), config.maxChannelLength(), config.maxSubscriptions(),
                config.maxPendingBytes(), config.slowConsumerPolicies(), config.payloadFormats());
    }
}
