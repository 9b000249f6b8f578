package io.fanwire.gateway.publish;

import io.fanwire.gateway.config.GatewayConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the {@link KafkaPublisher} is configured with, taken from the catalog's keys by {@link #from}.
 * Immutable; any thread.
 *
 * @param kafka   the producer's Kafka properties ({@code kafka.*})
 * @param timeout {@code publish.timeout.ms}: the acknowledgement deadline of one publish
 * @param topics  {@code topics}: the topics whose metadata the publisher fetches ahead
 */
public record PublishSettings(Map<String, String> kafka, Duration timeout, List<String> topics) {

    public PublishSettings {
        kafka = Map.copyOf(kafka);
        Objects.requireNonNull(timeout, "timeout");
        topics = List.copyOf(topics);
    }

    /** The publisher's part of {@code config}. */
    public static PublishSettings from(GatewayConfig config) {
        return new PublishSettings(config.kafka(), config.publishTimeout(), config.topics());
    }
}
