/**
 * Dev mode: {@link io.fanwire.dev.DevMain} starts a real Kafka broker, the demo topics, the gateway and
 * {@link io.fanwire.dev.DemoFeed}, the synthetic market-data producer. Packaged as {@code fanwire-dev.jar};
 * never part of the production jar.
 */
package io.fanwire.dev;
