package io.fanwire.gateway.transport;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.admin.ProxyRejection;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolException;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the PROXY protocol header that Netty's {@code HAProxyMessageDecoder}, just above it, decoded at the start of
 * a connection ({@code ws.proxy.protocol}): records the client's source address on the channel
 * ({@link ClientAddress}) and only then lets {@code channelActive} go on to the handlers below, so that the
 * connection limits count the client, not the load balancer. Then it leaves the pipeline.
 *
 * <p>A {@code LOCAL} header (the balancer's own connection, such as a health check) and one whose source is not an
 * IP address ({@code UNKNOWN}, a UNIX socket) keep the balancer's address, as the protocol specifies. A connection
 * whose header the decoder rejects (one that starts with anything else: a client that bypassed the balancer) or
 * whose header is not complete within {@code ws.handshake.timeout.ms} is closed, counted in
 * {@code fanwire_proxy_protocol_rejected_total} and logged in one line, at most once per
 * {@link #WARNING_INTERVAL} for all connections of the listener.
 *
 * <p>One instance per connection, on its event loop. It releases the decoded {@link HAProxyMessage}; it touches no
 * byte buffer (the bytes after the header go from the decoder to the HTTP decoder).
 */
final class ProxyHeaderHandler extends ChannelInboundHandlerAdapter {

    /** Shortest time between two warnings about rejected headers: a flood of them is one line per interval. */
    static final Duration WARNING_INTERVAL = Duration.ofSeconds(10);

    /** Longest part of the decoder's complaint that is logged: it quotes the client's bytes. */
    private static final int MAX_LOGGED_CAUSE = 160;

    private static final Logger log = LoggerFactory.getLogger(ProxyHeaderHandler.class);

    private final Duration timeout;
    private final GatewayMetrics metrics;
    private final WarningRateLimiter warnings;
    private ScheduledFuture<?> deadline;
    /** Set once the connection is rejected: the decoder can complain again about the rest of the bytes. */
    private boolean rejected;

    /** {@code timeout}: {@code ws.handshake.timeout.ms}, which the header must arrive within. */
    ProxyHeaderHandler(Duration timeout, GatewayMetrics metrics, WarningRateLimiter warnings) {
        this.timeout = timeout;
        this.metrics = metrics;
        this.warnings = warnings;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(
                () -> reject(ctx, ProxyRejection.TIMEOUT, "no complete header within " + timeout.toMillis() + " ms"),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Removed once the header is read, or with the rest of the pipeline when the connection closes. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        deadline.cancel(false);
    }

    /** Held back until the header names the client: what is below counts connections when they become active. */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HAProxyMessage header)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            InetSocketAddress client = sourceOf(header);
            if (client != null) {
                ctx.channel().attr(ClientAddress.PROXIED).set(client);
            }
        } finally {
            header.release();
        }
        ctx.fireChannelActive();
        ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof HAProxyProtocolException) {
            reject(ctx, ProxyRejection.MALFORMED, innermostMessage(cause));
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    /** The client's address, or null when the header says to keep the balancer's (LOCAL, UNKNOWN, UNIX). */
    private static InetSocketAddress sourceOf(HAProxyMessage header) {
        if (header.command() != HAProxyCommand.PROXY) {
            return null;
        }
        HAProxyProxiedProtocol.AddressFamily family = header.proxiedProtocol().addressFamily();
        if (family != HAProxyProxiedProtocol.AddressFamily.AF_IPv4
                && family != HAProxyProxiedProtocol.AddressFamily.AF_IPv6) {
            return null;
        }
        // The decoder checked the literal; this parses it without a name lookup.
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
        return address == null ? null : new InetSocketAddress(address, header.sourcePort());
    }

    private void reject(ChannelHandlerContext ctx, ProxyRejection reason, String cause) {
        if (rejected) {
            return;
        }
        rejected = true;
        deadline.cancel(false);
        metrics.proxyRejected(reason);
        long held = warnings.tryAcquire();
        if (held != WarningRateLimiter.HOLD) {
            log.warn("closed a connection from {} without a valid PROXY protocol header (ws.proxy.protocol is on): "
                            + "{}{}", ctx.channel().remoteAddress(), printable(cause),
                    held == 0 ? "" : "; " + held + " more since the last such line");
        }
        ctx.close();
    }

    /** The decoder wraps what its parser threw, message and all: the innermost message says what was wrong. */
    private static String innermostMessage(Throwable cause) {
        Throwable innermost = cause;
        while (innermost.getCause() != null && innermost.getCause() != innermost) {
            innermost = innermost.getCause();
        }
        return innermost.getMessage();
    }

    /** {@code text} cut short, with control and non-ASCII characters replaced, fit for one log line. */
    private static String printable(String text) {
        String cut = text == null ? "" : text.length() > MAX_LOGGED_CAUSE ? text.substring(0, MAX_LOGGED_CAUSE) : text;
        StringBuilder out = new StringBuilder(cut.length());
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }
}
