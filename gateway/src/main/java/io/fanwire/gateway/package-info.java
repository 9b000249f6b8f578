/**
 * Fanwire's gateway: Kafka records in, WebSocket frames out.
 *
 * <p>Starting points: {@link io.fanwire.gateway.Main} (the command line) and {@link io.fanwire.gateway.Gateway}
 * (the composition root, the only class that knows every package; its javadoc traces the data path).
 * Packages follow the data path: {@code ingest} → {@code fanout} → {@code subscription} → {@code session};
 * clients come in through {@code transport} and {@code codec}. docs/architecture.md is the map: components,
 * data paths, threads, buffer owners.
 */
package io.fanwire.gateway;
