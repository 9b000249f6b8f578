package io.fanwire.gateway.transport;

import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.time.Duration;

/**
 * What the HTTP side needs to serve the upgrade and the demo page. Immutable; any thread.
 *
 * @param decoderConfig the WebSocket frame decoder's settings, shared by every connection
 * @param handshakeTimeout how long a connection may take to send its HTTP request
 * @param demoPage the demo page's HTML, or null when the build has none
 */
record WebSocketSettings(String path, WebSocketDecoderConfig decoderConfig, Duration handshakeTimeout,
                         byte[] demoPage) {
}
