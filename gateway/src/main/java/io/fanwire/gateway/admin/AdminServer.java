package io.fanwire.gateway.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin listener: {@code GET /healthz} (200 while the process serves), {@code GET /readyz} (200 once
 * every served partition is assigned and read from the live end, 503 before that and while draining),
 * {@code GET /metrics} (Prometheus text format) and {@code POST /drain} (202; starts the drain that ends with
 * the process's exit, as SIGTERM does). Runs on the given event loops; requests are tiny.
 * Every request other than GET or HEAD changes state and must pass {@link AdminTokenCheck} first, so that
 * endpoints added later are covered without further work.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    public static AdminServer bind(String address, int port, EventLoopGroup group,
                                   Class<? extends ServerChannel> channelType,
                                   BooleanSupplier ready, GatewayMetrics metrics, String adminToken,
                                   SslContext tls, Runnable drain) throws InterruptedException {
        AdminTokenCheck tokenCheck = new AdminTokenCheck(adminToken, metrics);
        Channel channel = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192), tokenCheck,
                                new AdminHandler(ready, metrics, drain));
                    }
                })
                .bind(address, port).sync().channel();
        log.info("admin listener on {} (/healthz, /readyz, /metrics, POST /drain)", channel.localAddress());
        return new AdminServer(channel);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private static final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final BooleanSupplier ready;
        private final GatewayMetrics metrics;
        private final Runnable drain;

        AdminHandler(BooleanSupplier ready, GatewayMetrics metrics, Runnable drain) {
            this.ready = ready;
            this.metrics = metrics;
            this.drain = drain;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String path = new QueryStringDecoder(request.uri()).path();
            switch (path) {
                case "/healthz" -> respond(ctx, request, HttpResponseStatus.OK, "text/plain", "ok\n");
                case "/readyz" -> {
                    boolean isReady = ready.getAsBoolean();
                    respond(ctx, request, isReady ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "text/plain", isReady ? "ready\n" : "not ready\n");
                }
                case "/metrics" -> respond(ctx, request, HttpResponseStatus.OK, PROMETHEUS_TEXT, metrics.render());
                case "/drain" -> {
                    if (!HttpMethod.POST.equals(request.method())) {
                        respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "use POST\n");
                    } else {
                        log.info("drain requested from {}", ctx.channel().remoteAddress());
                        drain.run();
                        respond(ctx, request, HttpResponseStatus.ACCEPTED, "text/plain", "draining\n");
                    }
                }
                default -> respond(ctx, request, HttpResponseStatus.NOT_FOUND, "text/plain",
                        "no such path: " + path + " (try /healthz, /readyz, /metrics, POST /drain)\n");
            }
        }

        private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                                    String contentType, String body) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
            HttpUtil.setContentLength(response, response.content().readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
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
}
