package io.fanwire.gateway.transport;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.admin.Limit;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * First handler of every connection: counts it against {@code ws.max.connections} and
 * {@code ws.max.connections.per.address} when it becomes active, and closes it at once, before any byte is
 * read, when it is one too many. An admitted connection is forgotten when it closes (a listener on its close
 * future); the handler then leaves the pipeline, so that it costs an open connection nothing more.
 *
 * <p>Sharable: one instance for the listener; runs on each connection's event loop. Touches no buffers.
 */
@ChannelHandler.Sharable
final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {

    private final ConnectionCounts counts;
    private final GatewayMetrics metrics;

    ConnectionLimitHandler(ConnectionCounts counts, GatewayMetrics metrics) {
        this.counts = counts;
        this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress address = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        switch (counts.acquire(address)) {
            case NONE -> {
                ctx.channel().closeFuture().addListener(closed -> counts.release(address));
                ctx.fireChannelActive();
                ctx.pipeline().remove(this);
            }
            case TOTAL -> refuse(ctx, Limit.CONNECTIONS);
            case PER_ADDRESS -> refuse(ctx, Limit.CONNECTIONS_PER_ADDRESS);
        }
    }

    private void refuse(ChannelHandlerContext ctx, Limit limit) {
        metrics.limitExceeded(limit);
        ctx.close();
    }
}
