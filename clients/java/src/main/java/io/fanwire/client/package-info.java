/**
 * The Fanwire Java client: {@link io.fanwire.client.FanwireClient} connects to Fanwire gateways over WebSocket
 * ({@code fanwire.v1.json} or {@code fanwire.v1.proto}), reconnects with backoff, and resumes every subscription
 * from its positions so that the application gets each record once (PROTOCOL.md §4.2, §12).
 */
package io.fanwire.client;
