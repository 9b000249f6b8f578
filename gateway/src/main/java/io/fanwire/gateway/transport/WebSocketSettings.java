package io.fanwire.gateway.transport;

import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.time.Duration;

/**
 * What the HTTP side needs to serve the upgrade, the demo page and its script. Immutable; any thread.
 *
 * @param decoderConfig the WebSocket frame decoder's settings, shared by every connection
 * @param handshakeTimeout how long a connection may take to send its HTTP request
 * @param assets the demo page and the browser client, by path
 * @param proxyProtocol whether every connection starts with a PROXY protocol header ({@code ws.proxy.protocol})
 * @param deflate the permessage-deflate negotiation ({@code ws.compression})
 */
record WebSocketSettings(String path, WebSocketDecoderConfig decoderConfig, Duration handshakeTimeout,
                         WebAssets assets, boolean proxyProtocol, PermessageDeflate deflate) {
}
