/**
 * Configuration: the catalog of keys ({@link io.fanwire.gateway.config.ConfigKeys}), the immutable validated
 * {@link io.fanwire.gateway.config.GatewayConfig}, and {@link io.fanwire.gateway.config.ConfigLoader}, which
 * merges a properties file, the environment and flags. {@code docs/configuration.md} is generated from the
 * catalog by {@link io.fanwire.gateway.config.ConfigReference}.
 */
package io.fanwire.gateway.config;
