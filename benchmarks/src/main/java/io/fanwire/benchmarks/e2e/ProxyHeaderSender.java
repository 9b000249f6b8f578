package io.fanwire.benchmarks.e2e;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.InetSocketAddress;

/**
 * Sends a PROXY protocol v2 header naming the connection's own addresses before anything else, as HAProxy's
 * {@code send-proxy-v2} does, so that a swarm can connect straight to nodes that run with
 * {@code ws.proxy.protocol=true} (deploy/local's nodes). Netty's {@code HAProxyMessageEncoder}, ahead of it in the
 * pipeline, encodes the header; this handler then leaves the pipeline. Runs on the connection's event loop.
 */
final class ProxyHeaderSender extends ChannelInboundHandlerAdapter {

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        ctx.write(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
                local.getAddress().getHostAddress(), remote.getAddress().getHostAddress(), local.getPort(),
                remote.getPort()));
        ctx.pipeline().remove(this);
        ctx.fireChannelActive();
    }
}
