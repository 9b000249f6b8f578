package io.fanwire.gateway.transport;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.admin.Limit;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Counts every connection against {@code ws.max.connections} and {@code ws.max.connections.per.address} when it
 * becomes active, by its {@link ClientAddress}, and closes it at once, before any byte reaches HTTP, when it is one
 * too many. It is the first handler, or the first after the PROXY protocol header's two when {@code ws.proxy.protocol}
 * is on: those hold {@code channelActive} back until the header has named the client. An admitted connection is
 * forgotten when it closes (a listener on its close future); the handler then leaves the pipeline, so that it costs
 * an open connection nothing more. A refused one keeps it, and it discards what arrived behind the PROXY header.
 *
 * <p>Sharable: one instance for the listener; runs on each connection's event loop. Releases the buffers it
 * discards.
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
        InetAddress address = ((InetSocketAddress) ClientAddress.of(ctx.channel())).getAddress();
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

    /** Only a refused connection still has this handler when bytes arrive: they are not for anyone. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    private void refuse(ChannelHandlerContext ctx, Limit limit) {
        metrics.limitExceeded(limit);
        ctx.close();
    }
}
