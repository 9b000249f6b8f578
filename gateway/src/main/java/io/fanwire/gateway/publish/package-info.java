/**
 * Client publishes to Kafka: {@link io.fanwire.gateway.publish.KafkaPublisher} ({@code acks=all}; the reply
 * waits for the broker). Off unless {@code publish.enabled=true}.
 */
package io.fanwire.gateway.publish;
