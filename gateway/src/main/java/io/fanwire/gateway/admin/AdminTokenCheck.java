package io.fanwire.gateway.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Guards the admin port's state-changing requests: anything but GET and HEAD must carry
 * {@code Authorization: Bearer <admin.token>}. Without that header the answer is 401, with a wrong token
 * 403, and when no {@code admin.token} is configured every such request gets 403. Read-only requests pass
 * untouched. Compares in constant time.
 *
 * <p>Sharable, immutable; runs on any admin connection's event loop. Releases the requests it refuses.
 */
@ChannelHandler.Sharable
final class AdminTokenCheck extends ChannelInboundHandlerAdapter {

    private final byte[] expected;
    private final GatewayMetrics metrics;

    /** {@code adminToken}: the configured token, or null to refuse every state-changing request. */
    AdminTokenCheck(String adminToken, GatewayMetrics metrics) {
        this.expected = adminToken == null ? null : ("Bearer " + adminToken).getBytes(StandardCharsets.UTF_8);
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request) || readOnly(request.method())) {
            ctx.fireChannelRead(msg);
            return;
        }
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (expected != null && authorization != null
                && MessageDigest.isEqual(expected, authorization.getBytes(StandardCharsets.UTF_8))) {
            ctx.fireChannelRead(msg);
            return;
        }
        ReferenceCountUtil.release(msg);
        if (expected == null) {
            refuse(ctx, HttpResponseStatus.FORBIDDEN,
                    "state-changing admin requests are disabled: the gateway has no admin.token\n");
        } else if (authorization == null) {
            refuse(ctx, HttpResponseStatus.UNAUTHORIZED, "send Authorization: Bearer <admin.token>\n");
        } else {
            refuse(ctx, HttpResponseStatus.FORBIDDEN, "wrong admin token\n");
        }
    }

    private static boolean readOnly(HttpMethod method) {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
    }

    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        metrics.authRejected(AuthRejection.ADMIN_TOKEN);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        if (status == HttpResponseStatus.UNAUTHORIZED) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"fanwire-admin\"");
        }
        HttpUtil.setContentLength(response, response.content().readableBytes());
        HttpUtil.setKeepAlive(response, false);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
