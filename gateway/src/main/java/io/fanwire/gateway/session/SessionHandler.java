package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.Limit;
import io.fanwire.gateway.auth.Principal;
import io.fanwire.gateway.codec.BadFrameException;
import io.fanwire.gateway.codec.ClientFrameDecoder;
import io.fanwire.gateway.codec.ErrorCode;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an upgraded connection, a dispatcher: it answers WebSocket control frames, joins
 * fragmented messages, limits the frame rate, decodes each request and hands it to its class
 * ({@link SubscriptionRequests}, {@link PublishRequests}, {@link SessionCredentials}), and turns a
 * {@link Refusal} into the error reply, in one place ({@link #onDataFrame}). Record delivery does not pass
 * through here: the fan-out writes to the {@link Session} directly, and the loop's {@link IdleSweep} pings
 * quiet clients.
 *
 * <p>Fragments: a message sent in several frames is joined here (control frames may arrive between its
 * fragments, as RFC 6455 allows) up to {@code ws.max.frame.bytes} in total, past which the connection is
 * closed with 1009. A continuation frame with no message to continue, or a new message before the last one
 * ended, is a protocol error (1002). Doing this here instead of in a {@code WebSocketFrameAggregator} saves
 * every connection a handler and its pipeline context.
 *
 * <p>Event loop only. Releases every frame it reads; owns the buffer of a message being joined.
 */
public final class SessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(SessionHandler.class);
    /** How Netty's inflater says a message inflated past its limit (its {@code DecompressionException}). */
    private static final String INFLATED_TOO_BIG = "Decompression buffer has reached maximum size";

    /** Fire this user event down a connection's pipeline to close it with status 1001 (going away). */
    public static final Object SHUTDOWN = new Object() {
        @Override
        public String toString() {
            return "SHUTDOWN";
        }
    };

    /** Close status when a token expires without a Refresh (application range, protocol/PROTOCOL.md §7). */
    static final WebSocketCloseStatus TOKEN_EXPIRED = new WebSocketCloseStatus(4001, "token expired");

    private final Subprotocol protocol;
    private final SessionServices services;
    private final Principal principal;
    /** Where the client is, for log lines: the address its PROXY header named, when the listener reads one. */
    private final SocketAddress client;
    /** Where the session's record frames go; made by the transport at the upgrade. */
    private final OutboundWriter out;
    private ChannelHandlerContext ctx;
    private Session session;
    private SessionCredentials credentials;
    /** The fragments of a message being received, or null; owned (released) by this handler. */
    private CompositeByteBuf fragments;
    private boolean fragmentsAreText;
    private FrameRateLimiter rate;

    /**
     * {@code principal}: who the upgrade request authenticated as; {@code client}: the client's address, which is not
     * the TCP peer's behind a load balancer that sends the PROXY protocol; {@code out}: the connection's writer of
     * record frames.
     */
    public SessionHandler(Subprotocol protocol, SessionServices services, Principal principal, SocketAddress client,
                          OutboundWriter out) {
        this.protocol = protocol;
        this.services = services;
        this.principal = principal;
        this.client = client;
        this.out = out;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        int loopIndex = services.subscriptions().indexOf(ctx.channel().eventLoop());
        session = new Session(ctx, out, protocol, loopIndex, services);
        rate = new FrameRateLimiter(services.limits().framesPerSecond(), services.limits().framesBurst(),
                System::nanoTime);
        credentials = new SessionCredentials(ctx.executor(), services, principal, () -> {
            reply(ResumePoints.goAway(session, "token expired: send Refresh with a new token before it expires",
                    0, 0));
            session.close(TOKEN_EXPIRED, TOKEN_EXPIRED.reasonText());
        });
        services.idleSweeps().get(loopIndex).register(session);
        services.metrics().connectionOpened();
    }

    /** The connection's session, once the handler is in the pipeline. */
    Session session() {
        return session;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        discardFragments();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        credentials.cancel();
        session.discard();
        SubscriptionRequests.unsubscribeAll(session);
        services.idleSweeps().get(session.loopIndex()).unregister(session);
        discardFragments();
        services.metrics().connectionClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        session.writabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        session.onRead();
        try {
            if (!(msg instanceof CloseWebSocketFrame || msg instanceof PongWebSocketFrame) && !rate.tryAcquire()) {
                refuseOverRate(msg);
            } else if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
                WebSocketFrame frame = (WebSocketFrame) msg;
                if (fragments != null) {
                    protocolError("a new message began before the fragmented one ended");
                } else if (frame.isFinalFragment()) {
                    onDataFrame(frame);
                } else {
                    fragments = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
                    fragmentsAreText = frame instanceof TextWebSocketFrame;
                    appendFragment(frame);
                }
            } else if (msg instanceof ContinuationWebSocketFrame continuation) {
                if (fragments == null) {
                    protocolError("a continuation frame continues no message");
                } else {
                    appendFragment(continuation);
                }
            } else if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            } else if (msg instanceof CloseWebSocketFrame) {
                session.close(WebSocketCloseStatus.NORMAL_CLOSURE, "");
            } else if (!(msg instanceof PongWebSocketFrame)) {
                log.debug("unexpected message {} on {} from {}", msg.getClass().getSimpleName(), ctx.channel().id(),
                        client);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * A frame over {@code ws.client.frames.per.second}: a whole data message gets LIMIT_EXCEEDED with its id
     * (if it decodes), a ping gets no pong, a fragment closes the connection (1008), since the message it
     * belongs to can no longer be answered; so does a client that keeps going after
     * {@link FrameRateLimiter#MAX_REFUSED} refusals.
     */
    private void refuseOverRate(Object msg) {
        services.metrics().limitExceeded(Limit.FRAME_RATE);
        boolean wholeMessage = (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame)
                && ((WebSocketFrame) msg).isFinalFragment() && fragments == null;
        if (rate.persistentlyExceeded() || (msg instanceof WebSocketFrame && !(msg instanceof PingWebSocketFrame)
                && !wholeMessage)) {
            discardFragments();
            session.close(WebSocketCloseStatus.POLICY_VIOLATION, "rate limit exceeded");
            return;
        }
        if (wholeMessage && !session.closing()) {
            long id;
            try {
                id = ClientFrameDecoder.decode((WebSocketFrame) msg, protocol).getId();
            } catch (BadFrameException e) {
                id = 0;
            }
            reply(new Refusal(ErrorCode.LIMIT_EXCEEDED, "more than " + services.limits().framesPerSecond()
                    + " frames per second: slow down").reply(id, services.metrics()));
        }
    }

    /** Adds {@code frame}'s payload to the message being joined, and handles the message once it is whole. */
    private void appendFragment(WebSocketFrame frame) {
        if (fragments.readableBytes() + frame.content().readableBytes() > services.settings().maxFrameBytes()) {
            services.metrics().limitExceeded(Limit.FRAME_SIZE);
            discardFragments();
            session.close(WebSocketCloseStatus.MESSAGE_TOO_BIG, "message larger than the limit");
            return;
        }
        fragments.addComponent(true, frame.content().retain());
        if (frame.isFinalFragment()) {
            CompositeByteBuf whole = fragments;
            fragments = null;
            WebSocketFrame message = fragmentsAreText ? new TextWebSocketFrame(whole) : new BinaryWebSocketFrame(whole);
            try {
                onDataFrame(message);
            } finally {
                message.release();
            }
        }
    }

    private void discardFragments() {
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
    }

    private void protocolError(String reason) {
        discardFragments();
        session.close(WebSocketCloseStatus.PROTOCOL_ERROR, reason);
    }

    /** Decodes a whole message and dispatches it; a {@link Refusal} becomes its error reply here. */
    private void onDataFrame(WebSocketFrame frame) {
        if (session.closing()) {
            return;
        }
        long id = 0;
        try {
            ClientFrame request;
            try {
                request = ClientFrameDecoder.decode(frame, protocol);
            } catch (BadFrameException e) {
                throw Refusal.badRequest(e.getMessage());
            }
            id = request.getId();
            switch (request.getKindCase()) {
                case SUBSCRIBE -> SubscriptionRequests.subscribe(session, credentials, id, request.getSubscribe(),
                        this::reply);
                case UNSUBSCRIBE -> SubscriptionRequests.unsubscribe(session, id,
                        request.getUnsubscribe().getChannel(), this::reply);
                case PUBLISH -> PublishRequests.publish(session, credentials, id, request.getPublish(), this::reply);
                case PING -> reply(ServerFrames.ok(id));
                case REFRESH -> {
                    credentials.refresh(request.getRefresh().getToken());
                    reply(ServerFrames.ok(id));
                }
                case KIND_NOT_SET -> throw Refusal.badRequest("the frame names no request: set one of subscribe, "
                        + "unsubscribe, publish, ping or refresh");
            }
        } catch (Refusal refusal) {
            reply(refusal.reply(id, services.metrics()));
        }
    }

    /** Writes and flushes a reply, unless the connection is closing. */
    private void reply(ServerFrame frame) {
        if (!session.closing() && ctx.channel().isActive()) {
            ctx.writeAndFlush(ServerFrames.toWebSocketFrame(frame, protocol, ctx.alloc()), ctx.voidPromise());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof Drain drain) {
            session.goAway(drain.reason(), drain.reconnectWithinMs(), drain.closeIn());
            return;
        }
        if (event == SHUTDOWN) {
            session.close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "server shutting down");
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            services.metrics().limitExceeded(Limit.FRAME_SIZE);
            discardFragments();
            session.close(WebSocketCloseStatus.MESSAGE_TOO_BIG, "message larger than the limit");
            return;
        }
        if (cause instanceof DecompressionException) {
            // permessage-deflate's inflater (transport.PermessageDeflate): the message inflated past
            // ws.max.frame.bytes, or is not DEFLATE data. Netty tells the two apart by its message only.
            boolean tooBig = String.valueOf(cause.getMessage()).startsWith(INFLATED_TOO_BIG);
            if (tooBig) {
                services.metrics().limitExceeded(Limit.FRAME_SIZE);
            }
            discardFragments();
            log.debug("closing {} from {}: {}", ctx.channel().id(), client, cause.toString());
            session.close(tooBig ? WebSocketCloseStatus.MESSAGE_TOO_BIG : WebSocketCloseStatus.INVALID_PAYLOAD_DATA,
                    tooBig ? "message larger than the limit once inflated" : "a compressed message that does not "
                            + "inflate");
            return;
        }
        if (cause instanceof CorruptedWebSocketFrameException corrupted
                && corrupted.closeStatus() == WebSocketCloseStatus.MESSAGE_TOO_BIG) {
            services.metrics().limitExceeded(Limit.FRAME_SIZE);
        }
        if (cause instanceof CorruptedWebSocketFrameException || cause instanceof IOException) {
            // The client's fault or its network's: the decoder already sent the close status (1002, 1009, ...).
            log.debug("closing {} from {}: {}", ctx.channel().id(), client, cause.toString());
        } else {
            log.warn("closing {} from {} after an unexpected error: {}", ctx.channel().id(), client, cause.toString());
        }
        ctx.close();
    }
}
