package io.fanwire.gateway.session;

import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.subscription.ChannelName;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One WebSocket connection as the fan-out sees it: where to write, in which subprotocol, what it is
 * subscribed to, and whether it has unflushed writes.
 *
 * <p>Event loop only: created, used and dropped on the connection's own loop.
 */
public final class Session {

    /** The name Netty's handshaker gives the WebSocket frame encoder it adds to the pipeline. */
    private static final String WEBSOCKET_ENCODER = "wsencoder";
    /** How long a slow consumer has to read its close frame before the connection is cut. */
    private static final long SLOW_CONSUMER_CLOSE_GRACE_MS = 1_000;

    private final ChannelHandlerContext ctx;
    /** Where record frames are written: just below the WebSocket encoder, which they need not visit. */
    private final ChannelHandlerContext frameOut;
    private final Subprotocol protocol;
    private final int loopIndex;
    private final SessionServices services;
    private final Set<ChannelName> channels = new LinkedHashSet<>();
    private boolean flushPending;
    private boolean closing;

    /**
     * Made by {@link SessionHandler} when a connection upgrades; public so that benchmarks can drive the
     * fan-out against real channels. {@code ctx} is where record frames are written.
     */
    public Session(ChannelHandlerContext ctx, Subprotocol protocol, int loopIndex, SessionServices services) {
        this.ctx = ctx;
        ChannelHandlerContext encoder = ctx.pipeline().context(WEBSOCKET_ENCODER);
        this.frameOut = encoder != null ? encoder : ctx;
        this.protocol = protocol;
        this.loopIndex = loopIndex;
        this.services = services;
    }

    public Subprotocol protocol() {
        return protocol;
    }

    int loopIndex() {
        return loopIndex;
    }

    Set<ChannelName> channels() {
        return channels;
    }

    /**
     * Writes {@code record}'s frame without flushing, and returns the bytes written: 0 when the session is
     * closing, or -1 when this write would queue more than {@code ws.max.pending.bytes} for a client that
     * does not read, in which case the session starts closing with status 1008.
     */
    public int write(EncodedRecord record) {
        if (closing) {
            return 0;
        }
        ChannelOutboundBuffer pending = ctx.channel().unsafe().outboundBuffer();
        if (pending == null) {
            return 0;
        }
        ByteBuf frame = record.frame(protocol, ctx.alloc());
        if (pending.totalPendingWriteBytes() + frame.readableBytes() > services.maxPendingBytes()) {
            closeAsSlowConsumer();
            return -1;
        }
        frameOut.write(frame.retainedDuplicate(), frameOut.voidPromise());
        return frame.readableBytes();
    }

    /** Marks the session as having unflushed writes; true if it was not marked yet. */
    public boolean markFlushPending() {
        if (flushPending) {
            return false;
        }
        flushPending = true;
        return true;
    }

    public void flush() {
        flushPending = false;
        ctx.flush();
    }

    boolean closing() {
        return closing;
    }

    /** Sends a close frame with {@code status} and closes the connection once it is written. */
    void close(WebSocketCloseStatus status, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeAsSlowConsumer() {
        closing = true;
        // The close frame queues behind what the client has not read: give it a moment, then cut.
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.POLICY_VIOLATION, "slow consumer"))
                .addListener(ChannelFutureListener.CLOSE);
        ctx.executor().schedule(() -> ctx.close(), SLOW_CONSUMER_CLOSE_GRACE_MS, TimeUnit.MILLISECONDS);
        services.metrics().slowConsumerDisconnected();
    }
}
