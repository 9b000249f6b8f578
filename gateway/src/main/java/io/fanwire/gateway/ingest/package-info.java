/**
 * Kafka consumption: {@link io.fanwire.gateway.ingest.KafkaIngest}, the ingest thread, which assigns every
 * partition of the served topics, encodes each record once and hands each poll batch to its
 * {@link io.fanwire.gateway.ingest.BatchSink} (the fan-out); and the catch-up readers
 * ({@link io.fanwire.gateway.ingest.CatchUpReaders}), a resuming subscription's {@code session.OlderRecords}.
 */
package io.fanwire.gateway.ingest;
