/**
 * Real Apache Kafka brokers for development, tests, benchmarks and the local cluster, from Kafka's own server
 * classes: {@link io.fanwire.broker.EmbeddedKafkaBroker} runs a KRaft node in a child JVM
 * ({@link io.fanwire.broker.KafkaBrokerMain} is its main); {@link io.fanwire.broker.DevKafka} is a
 * stdin-driven broker for client test suites in any language. Never part of the production gateway.
 */
package io.fanwire.broker;
