package io.fanwire.gateway.transport;

import io.fanwire.gateway.admin.AuthRejection;
import io.fanwire.gateway.admin.Limit;
import io.fanwire.gateway.auth.AuthException;
import io.fanwire.gateway.auth.Authenticator;
import io.fanwire.gateway.auth.Principal;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.session.OutboundWriter;
import io.fanwire.gateway.session.SessionHandler;
import io.fanwire.gateway.session.SessionServices;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Answers the one HTTP request of a connection before it becomes a WebSocket: the upgrade on
 * {@code ws.path} (with authentication and subprotocol negotiation), the demo page on {@code /}, and a
 * plain-text HTTP error for anything else (400 not an upgrade or no subprotocol we speak, 401 missing or
 * invalid token, 403 origin not allowed, 404 unknown path, 405 wrong method, 426 unsupported WebSocket
 * version). A connection that has not upgraded within {@code ws.handshake.timeout.ms} is closed.
 *
 * <p>On a successful upgrade it rebuilds the pipeline into its WebSocket form (see
 * {@link GatewayChannelInitializer}) and removes itself. WebSocket frames that arrived in the same read as the
 * upgrade request reach this handler while the handshaker rebuilds the pipeline, before the session exists: it
 * holds them, and hands them to the session before it leaves, so a client that did not wait for the {@code 101}
 * gets its replies all the same. Event loop only; the held frames are released by the session that reads them,
 * or here if the connection closes first.
 */
final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final WebSocketSettings settings;
    private final SessionServices services;
    private final ChannelGroup connections;

    private ScheduledFuture<?> handshakeTimeout;
    /** Frames decoded during the upgrade, before the session was there to take them; usually null. */
    private List<WebSocketFrame> early;

    HttpRequestHandler(WebSocketSettings settings, SessionServices services, ChannelGroup connections) {
        this.settings = settings;
        this.services = services;
        this.connections = connections;
    }

    /** Starts the handshake clock: the connection must upgrade within {@code ws.handshake.timeout.ms}. */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        handshakeTimeout = ctx.executor().schedule(() -> {
            // The PROXY header's deadline, the same one set a moment earlier, may have closed it already.
            if (ctx.channel().isOpen()) {
                services.metrics().limitExceeded(Limit.HANDSHAKE_TIMEOUT);
                ctx.close();
            }
        }, settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Removed at the upgrade, or when the connection closes: either way the clock stops. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        handshakeTimeout.cancel(false);
        if (early != null) {
            early.forEach(WebSocketFrame::release);
            early = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof WebSocketFrame frame) {
            if (early == null) {
                early = new ArrayList<>(2);
            }
            early.add(frame);
            return;
        }
        super.channelRead(ctx, msg);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request\n");
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        if (path.equals(settings.path())) {
            upgrade(ctx, request);
        } else if (settings.assets().get(path) != null) {
            serveAsset(ctx, request, settings.assets().get(path));
        } else {
            respond(ctx, request, HttpResponseStatus.NOT_FOUND, "no such path: " + path + "\n");
        }
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!HttpMethod.GET.equals(request.method())) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET to open a WebSocket\n");
            return;
        }
        if (!request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST,
                    "expected a WebSocket upgrade (Upgrade: websocket) on " + settings.path() + "\n");
            return;
        }
        if (!"13".equals(request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
            // Netty's factory would also accept versions 0 (hixie-76, when the header is missing), 7 and 8,
            // with their own frame decoders: only RFC 6455 is spoken here.
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        if (!services.serving().getAsBoolean()) {
            // A node that does not know its partitions yet could not answer a resume (PROTOCOL.md §1.2).
            services.metrics().limitExceeded(Limit.NOT_READY);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.SERVICE_UNAVAILABLE, Unpooled.copiedBuffer(
                            "this node is starting and does not serve yet; retry in a moment\n", StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
            send(ctx, request, response);
            return;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (!services.limits().allowsOrigin(origin)) {
            services.metrics().limitExceeded(Limit.ORIGIN);
            respond(ctx, request, HttpResponseStatus.FORBIDDEN, "origin " + origin + " may not open WebSockets "
                    + "here (ws.allowed.origins)\n");
            return;
        }
        Principal principal;
        try {
            principal = services.authenticator().authenticate(request);
        } catch (AuthException e) {
            refuseUnauthenticated(ctx, request, e);
            return;
        }
        String offered = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        Subprotocol protocol = Subprotocol.negotiate(offered);
        if (protocol == null) {
            respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "none of the offered subprotocols (" + offered
                    + ") is spoken here; offer " + Subprotocol.PROTO.wireName() + " or "
                    + Subprotocol.JSON.wireName() + "\n");
            return;
        }
        PermessageDeflate.Accepted deflate =
                settings.deflate().accept(request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS));
        WebSocketServerHandshakerFactory factory = new WebSocketServerHandshakerFactory(
                "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + settings.path(),
                Subprotocol.SUPPORTED, deflate != null ? settings.deflate().decoderConfig() : settings.decoderConfig());
        WebSocketServerHandshaker handshaker = factory.newHandshaker(request);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        ChannelPipeline pipeline = ctx.pipeline();
        HttpHeaders responseHeaders = deflate == null ? null
                : new DefaultHttpHeaders().set(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, deflate.responseHeader());
        handshaker.handshake(ctx.channel(), request, responseHeaders, ctx.channel().newPromise())
                .addListener((ChannelFutureListener) future -> {
            if (future.isSuccess()) {
                connections.add(future.channel());
            } else {
                future.channel().close();
            }
        });
        ChannelHandlerContext frameDecoder = pipeline.context(WebSocketFrameDecoder.class);
        if (frameDecoder == null) {
            throw new IllegalStateException("the WebSocket handshake added no frame decoder to the pipeline");
        }
        if (deflate != null) {
            pipeline.addAfter(frameDecoder.name(), GatewayChannelInitializer.INFLATE, deflate.decoder());
            services.metrics().compressionNegotiated();
        }
        // Removing this handler stops the handshake clock; keepalive and idle timeout are the loop's
        // IdleSweep's job from now on.
        pipeline.addAfter(GatewayChannelInitializer.REQUEST, GatewayChannelInitializer.SESSION,
                new SessionHandler(protocol, services, principal, ClientAddress.of(ctx.channel()),
                        recordWriter(ctx, protocol, deflate != null)));
        List<WebSocketFrame> frames = early;
        early = null;
        pipeline.remove(this);
        if (frames != null) {
            // From the frame decoder on: through the inflater, when there is one, to the session.
            frames.forEach(frameDecoder::fireChannelRead);
            frameDecoder.fireChannelReadComplete();
        }
    }

    /**
     * The writer of the session's record frames, which are complete WebSocket frames already: it writes them
     * from the encoder's context, so that they start below the encoder that the handshaker has just added, and
     * reads the channel's outbound buffer once, here, where the transport's internals are known.
     */
    private OutboundWriter recordWriter(ChannelHandlerContext ctx, Subprotocol protocol, boolean deflate) {
        ChannelHandlerContext encoder = ctx.pipeline().context(WebSocketFrameEncoder.class);
        if (encoder == null) {
            throw new IllegalStateException("the WebSocket handshake added no frame encoder to the pipeline");
        }
        return new OutboundWriter(encoder, ctx.channel().unsafe().outboundBuffer(), protocol,
                services.settings().payloadFormats(), deflate ? settings.deflate().compression() : null,
                services.settings().maxPendingBytes());
    }

    /** 401 with a {@code WWW-Authenticate} challenge (RFC 6750 §3); no WebSocket. */
    private void refuseUnauthenticated(ChannelHandlerContext ctx, FullHttpRequest request, AuthException e) {
        boolean tokenSent = request.headers().contains(HttpHeaderNames.AUTHORIZATION)
                || new QueryStringDecoder(request.uri()).parameters().containsKey(Authenticator.TOKEN_PARAMETER);
        services.metrics().authRejected(tokenSent ? AuthRejection.INVALID_TOKEN : AuthRejection.MISSING_TOKEN);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.UNAUTHORIZED, Unpooled.copiedBuffer(e.getMessage() + "\n", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE,
                tokenSent ? "Bearer realm=\"fanwire\", error=\"invalid_token\"" : "Bearer realm=\"fanwire\"");
        send(ctx, request, response);
    }

    private static void serveAsset(ChannelHandlerContext ctx, FullHttpRequest request, WebAssets.Asset asset) {
        if (!HttpMethod.GET.equals(request.method()) && !HttpMethod.HEAD.equals(request.method())) {
            respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET\n");
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(asset.bytes()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, asset.contentType());
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        send(ctx, request, response);
    }

    private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                                String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        send(ctx, request, response);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response) {
        boolean keepAlive = HttpUtil.isKeepAlive(request) && response.status().code() < 400;
        HttpUtil.setContentLength(response, response.content().readableBytes());
        HttpUtil.setKeepAlive(response, keepAlive);
        if (HttpMethod.HEAD.equals(request.method())) {
            // The length of the body, without the body (RFC 9110 §9.3.2).
            FullHttpResponse head = response.replace(Unpooled.EMPTY_BUFFER);
            response.release();
            response = head;
        }
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
