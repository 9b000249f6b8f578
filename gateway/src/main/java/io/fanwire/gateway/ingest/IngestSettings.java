package io.fanwire.gateway.ingest;

import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.config.ConfigException;
import io.fanwire.gateway.config.GatewayConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the ingest side ({@link KafkaIngest} and the {@link CatchUpReaders}) is configured with, taken from the
 * catalog's keys by {@link #from}. Immutable and validated when built; any thread.
 *
 * @param consumerKafka   the Kafka consumer properties of both ({@code kafka.*}, with {@code isolation.level}
 *                        as {@code ingest.isolation.level} says, so that live and catch-up read the same records)
 * @param topics          {@code topics}: the served topics
 * @param metadataRefresh {@code ingest.metadata.refresh.ms}: how often new partitions and topics are looked for
 * @param payloadFormats  {@code payload.formats}: how each topic's values become JSON frames
 * @param catchUpReaders  {@code catchup.readers}: consumers that read what the history no longer holds
 */
public record IngestSettings(Map<String, String> consumerKafka, List<String> topics, Duration metadataRefresh,
                             PayloadFormats payloadFormats, int catchUpReaders) {

    public IngestSettings {
        consumerKafka = Map.copyOf(consumerKafka);
        topics = List.copyOf(topics);
        Objects.requireNonNull(metadataRefresh, "metadataRefresh");
        Objects.requireNonNull(payloadFormats, "payloadFormats");
        if (topics.isEmpty() || catchUpReaders <= 0 || metadataRefresh.isNegative() || metadataRefresh.isZero()) {
            throw new ConfigException("ingest needs topics, a positive metadata refresh and catch-up readers: "
                    + topics + ", " + metadataRefresh + ", " + catchUpReaders + " readers");
        }
    }

    /** The ingest side's part of {@code config}. */
    public static IngestSettings from(GatewayConfig config) {
        return new IngestSettings(config.consumerKafka(), config.topics(), config.metadataRefresh(),
                config.payloadFormats(), config.catchUpReaders());
    }
}
