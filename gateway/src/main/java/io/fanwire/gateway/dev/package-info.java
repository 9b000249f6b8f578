/**
 * Dev mode: {@link io.fanwire.gateway.dev.EmbeddedKafkaBroker}, a real single-node KRaft broker in a child JVM
 * ({@link io.fanwire.gateway.dev.KafkaBrokerMain} is its main), and {@link io.fanwire.gateway.dev.DemoFeed},
 * the synthetic market-data producer. Never used in production mode.
 */
package io.fanwire.gateway.dev;
