package io.fanwire.gateway.transport;

import io.fanwire.gateway.session.SessionServices;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.ssl.SslContext;

/**
 * THE pipeline of a client connection, read top to bottom.
 *
 * <pre>
 * before the upgrade                          after the upgrade (HttpRequestHandler rebuilds it, once)
 *   proxydecoder      HAProxyMessageDecoder     (only when ws.proxy.protocol is on; both leave once the
 *   proxyheader       ProxyHeaderHandler         header is read, and hold channelActive back until then)
 *   limit             ConnectionLimitHandler    (removes itself once it has counted the connection)
 *   tls               SslHandler                tls        SslHandler (only when tls.cert.file is set)
 *   httpencoder       HttpResponseEncoder       wsencoder  WebSocket13FrameEncoder (replies; record frames,
 *                                                          already encoded, are written below it by the
 *                                                          session's OutboundWriter, made at the upgrade)
 *   httpdecoder       HttpRequestDecoder        wsdecoder  WebSocket13FrameDecoder (masked frames, max size)
 *   aggregator        HttpObjectAggregator
 *   request           HttpRequestHandler        session    SessionHandler (requests, control frames, fragments)
 * </pre>
 *
 * <p>The PROXY protocol header comes first, before TLS, because the balancer sends it in clear ahead of everything
 * its client sends; the limit handler comes after it, because it counts the client the header names (see
 * {@link ProxyHeaderHandler}). Netty's decoder reads version 1 and 2 headers and, once done, passes the bytes that
 * came behind the header in the same read on to the HTTP decoder.
 *
 * <p>The encoder comes before the decoder so that the close frame the WebSocket decoder writes itself, on a
 * protocol error, passes the WebSocket encoder on its way out.
 *
 * <p>The HTTP decoder and encoder are separate handlers, not an {@code HttpServerCodec}, for the bytes a client
 * sends right behind its upgrade request, in the same packet (RFC 6455 says to wait for the {@code 101}; some
 * clients and proxies do not): the handshaker REPLACES a separate decoder with the WebSocket decoder, and Netty
 * hands the replaced decoder's unread bytes to its replacement, whereas a codec would keep parsing them as HTTP
 * until it is removed and then pass them on undecoded. The frames decoded from them before the session exists
 * are held by {@link HttpRequestHandler} and handed to the session first.
 *
 * <p>The only later changes to a pipeline are that upgrade, in {@link HttpRequestHandler}, and the PROXY header's
 * handlers and the limit handler leaving once they are done. {@code HttpRequestHandler} also holds the handshake
 * deadline ({@code ws.handshake.timeout.ms}), which the PROXY header, when there is one, must meet too. An upgraded
 * connection has three handlers and no timer of its own: keepalive pings and the idle timeout are one
 * periodic task per event loop ({@code session.IdleSweep}), and fragmented messages are joined by the
 * {@code SessionHandler}. Every handler and context a connection carries costs heap for as long as it lives
 * (see benchmarks/README.md, idle connections).
 */
final class GatewayChannelInitializer extends ChannelInitializer<SocketChannel> {

    static final String PROXY_DECODER = "proxydecoder";
    static final String PROXY_HEADER = "proxyheader";
    static final String LIMIT = "limit";
    static final String TLS = "tls";
    static final String HTTP_DECODER = "httpdecoder";
    static final String HTTP_ENCODER = "httpencoder";
    static final String AGGREGATOR = "aggregator";
    static final String REQUEST = "request";
    static final String SESSION = "session";
    /** Inflates the client's compressed messages; only on a connection that negotiated permessage-deflate. */
    static final String INFLATE = "inflate";

    /** Largest HTTP request (an upgrade or a page request) accepted before the upgrade. */
    private static final int MAX_HTTP_REQUEST_BYTES = 16 * 1024;

    /**
     * Most bytes of TLVs (extensions after the addresses) accepted in a version 2 PROXY header. HAProxy's are tens of
     * bytes (unique id, TLS details, authority); the protocol allows 64 KiB, which every connection could make the
     * decoder buffer before it is even counted.
     */
    private static final int MAX_PROXY_TLV_BYTES = 4096;

    private final WebSocketSettings settings;
    private final SslContext tls;
    private final SessionServices services;
    private final ChannelGroup connections;
    private final ConnectionLimitHandler limitHandler;
    /** Shared by the listener's connections; null when it reads no PROXY header. */
    private final WarningRateLimiter proxyWarnings;

    /** {@code tls}: null for plain TCP. */
    GatewayChannelInitializer(WebSocketSettings settings, SslContext tls, SessionServices services,
                              ChannelGroup connections, ConnectionLimitHandler limitHandler) {
        this.settings = settings;
        this.tls = tls;
        this.services = services;
        this.connections = connections;
        this.limitHandler = limitHandler;
        this.proxyWarnings = settings.proxyProtocol()
                ? new WarningRateLimiter(ProxyHeaderHandler.WARNING_INTERVAL, System::nanoTime) : null;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (settings.proxyProtocol()) {
            p.addLast(PROXY_DECODER, new HAProxyMessageDecoder(MAX_PROXY_TLV_BYTES));
            p.addLast(PROXY_HEADER, new ProxyHeaderHandler(settings.handshakeTimeout(), services.metrics(),
                    proxyWarnings));
        }
        p.addLast(LIMIT, limitHandler);
        if (tls != null) {
            p.addLast(TLS, tls.newHandler(ch.alloc()));
        }
        p.addLast(HTTP_ENCODER, new HttpResponseEncoder());
        p.addLast(HTTP_DECODER, new HttpRequestDecoder());
        p.addLast(AGGREGATOR, new HttpObjectAggregator(MAX_HTTP_REQUEST_BYTES));
        p.addLast(REQUEST, new HttpRequestHandler(settings, services, connections));
    }
}
