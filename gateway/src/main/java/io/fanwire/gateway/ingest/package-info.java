/**
 * Kafka consumption: {@link io.fanwire.gateway.ingest.KafkaIngest}, the ingest thread, which assigns every
 * partition of the served topics, encodes each record once and hands each poll batch to the fan-out.
 */
package io.fanwire.gateway.ingest;
