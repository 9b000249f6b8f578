/**
 * The client-facing network edge: {@link io.fanwire.gateway.transport.WebSocketServer} (bootstrap and bind),
 * {@code GatewayChannelInitializer} (the one pipeline, documented top to bottom) and {@code HttpRequestHandler}
 * (the upgrade, the demo page and HTTP errors). {@link io.fanwire.gateway.transport.Transports} picks epoll or NIO.
 * Behind a load balancer that sends the PROXY protocol ({@code ws.proxy.protocol}), {@code ProxyHeaderHandler} takes
 * the client's address from the header ({@code ClientAddress}).
 */
package io.fanwire.gateway.transport;
