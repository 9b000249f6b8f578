package io.fanwire.gateway.transport;

import io.fanwire.gateway.session.SessionServices;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * THE pipeline of a client connection, read top to bottom.
 *
 * <pre>
 * before the upgrade                          after the upgrade (HttpRequestHandler rebuilds it, once)
 *   handshake-timeout IdleStateHandler          wsencoder  WebSocket13FrameEncoder (replies; record frames,
 *                                                          already encoded, are written below it by Session)
 *   http              HttpServerCodec           wsdecoder  WebSocket13FrameDecoder (masked frames, max size)
 *   aggregator        HttpObjectAggregator      session    SessionHandler (requests, control frames, fragments)
 *   request           HttpRequestHandler
 * </pre>
 *
 * <p>The only later change to a pipeline is that upgrade, in {@link HttpRequestHandler}. An upgraded
 * connection has three handlers and no timer of its own: keepalive pings and the idle timeout are one
 * periodic task per event loop ({@code session.IdleSweep}), and fragmented messages are joined by the
 * {@code SessionHandler}. Every handler and context a connection carries costs heap for as long as it lives
 * (see benchmarks/README.md, idle connections).
 */
final class GatewayChannelInitializer extends ChannelInitializer<SocketChannel> {

    static final String HANDSHAKE_TIMEOUT = "handshake-timeout";
    static final String HTTP = "http";
    static final String AGGREGATOR = "aggregator";
    static final String REQUEST = "request";
    static final String SESSION = "session";

    /** Largest HTTP request (an upgrade or a page request) accepted before the upgrade. */
    private static final int MAX_HTTP_REQUEST_BYTES = 16 * 1024;

    private final WebSocketSettings settings;
    private final SessionServices services;
    private final ChannelGroup connections;

    GatewayChannelInitializer(WebSocketSettings settings, SessionServices services, ChannelGroup connections) {
        this.settings = settings;
        this.services = services;
        this.connections = connections;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        p.addLast(HANDSHAKE_TIMEOUT,
                new IdleStateHandler(settings.handshakeTimeout().toMillis(), 0, 0, TimeUnit.MILLISECONDS));
        p.addLast(HTTP, new HttpServerCodec());
        p.addLast(AGGREGATOR, new HttpObjectAggregator(MAX_HTTP_REQUEST_BYTES));
        p.addLast(REQUEST, new HttpRequestHandler(settings, services, connections));
    }
}
