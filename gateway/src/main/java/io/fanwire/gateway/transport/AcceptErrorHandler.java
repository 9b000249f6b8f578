package io.fanwire.gateway.transport;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the listening channel: what {@code accept} failures become. Each is counted
 * ({@code fanwire_accept_errors_total}); one log line per {@link WarningRateLimiter} interval says why and how many
 * there were (by default Netty logs a warning with a stack trace per failed attempt: 858 lines in three minutes of
 * EMFILE were seen); and accepting pauses for {@value #PAUSE_MS} ms, as Netty's own acceptor does, so that a
 * node out of descriptors does not spin on {@code accept}. The failure does not go further down the pipeline.
 *
 * <p>Runs on the acceptor's event loop; holds no buffers.
 */
@ChannelHandler.Sharable
final class AcceptErrorHandler extends ChannelInboundHandlerAdapter {

    /** How long accepting pauses after a failure. */
    static final long PAUSE_MS = 1_000;

    private static final Logger log = LoggerFactory.getLogger(AcceptErrorHandler.class);

    private final GatewayMetrics metrics;
    private final WarningRateLimiter warnings;

    AcceptErrorHandler(GatewayMetrics metrics, WarningRateLimiter warnings) {
        this.metrics = metrics;
        this.warnings = warnings;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        metrics.acceptFailed();
        long held = warnings.tryAcquire();
        if (held != WarningRateLimiter.HOLD) {
            log.warn("accepting connections failed: {}{}; pausing accepts for {} ms", cause.toString(),
                    held == 0 ? "" : " (and " + held + " more times since the last such line)", PAUSE_MS);
        }
        if (ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            ctx.executor().schedule(() -> ctx.channel().config().setAutoRead(true), PAUSE_MS, TimeUnit.MILLISECONDS);
        }
    }
}
