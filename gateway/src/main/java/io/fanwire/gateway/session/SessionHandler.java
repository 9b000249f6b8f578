package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.Limit;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.auth.Principal;
import io.fanwire.gateway.codec.BadFrameException;
import io.fanwire.gateway.codec.ClientFrameDecoder;
import io.fanwire.gateway.codec.ErrorCode;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Publish;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
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
import io.fanwire.gateway.history.PartitionLog;
import java.io.IOException;
import java.net.SocketAddress;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an upgraded connection: answers requests (subscribe, unsubscribe, publish, ping,
 * refresh), checks them against the access rules, answers WebSocket control frames, joins fragmented
 * messages, and ends connections whose token expired ({@link SessionCredentials}). Record delivery does not
 * pass through here: the fan-out writes to the {@link Session} directly, and the loop's {@link IdleSweep}
 * pings quiet clients.
 *
 * <p>Fragments: a message sent in several frames is joined here (control frames may arrive between its
 * fragments, as RFC 6455 allows) up to {@code ws.max.frame.bytes} in total, past which the connection is
 * closed with 1009. A continuation frame with no message to continue, or a new message before the last one
 * ended, is a protocol error (1002). Doing this here instead of in a {@code WebSocketFrameAggregator} saves
 * every connection a handler and its pipeline context.
 *
 * <p>Event loop only. Releases every frame it reads.
 */
public final class SessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(SessionHandler.class);

    /** Fire this user event down a connection's pipeline to close it with status 1001 (going away). */
    public static final Object SHUTDOWN = new Object() {
        @Override
        public String toString() {
            return "SHUTDOWN";
        }
    };

    /** Close status when a token expires without a Refresh (application range, protocol/PROTOCOL.md §7). */
    static final WebSocketCloseStatus TOKEN_EXPIRED = new WebSocketCloseStatus(4001, "token expired");

    /** Smallest {@code max_rate} accepted: one update per 100 s. */
    static final double MIN_MAX_RATE = 0.01;

    private final Subprotocol protocol;
    private final SessionServices services;
    private final Principal principal;
    /** Where the client is, for log lines: the address its PROXY header named, when the listener reads one. */
    private final SocketAddress client;
    /** Where the session's record frames go; made by the transport at the upgrade. */
    private final OutboundWriter out;
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
        int loopIndex = services.subscriptions().indexOf(ctx.channel().eventLoop());
        session = new Session(ctx, out, protocol, loopIndex, services);
        rate = new FrameRateLimiter(services.limits().framesPerSecond(), services.limits().framesBurst(),
                System::nanoTime);
        credentials = new SessionCredentials(ctx.executor(), services, principal, () -> {
            reply(ctx, ResumePoints.goAway(session, "token expired: send Refresh with a new token before it expires", 0, 0));
            session.close(TOKEN_EXPIRED, TOKEN_EXPIRED.reasonText());
        });
        services.idleSweeps().get(loopIndex).register(session);
        services.metrics().connectionOpened();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        discardFragments();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        credentials.cancel();
        session.discard();
        int removed = 0;
        while (session.subscriptionCount() > 0) {
            ChannelName channel = session.subscription(session.subscriptionCount() - 1).name();
            session.remove(channel);
            if (services.subscriptions().remove(session.loopIndex(), session, channel)) {
                removed++;
            }
        }
        services.idleSweeps().get(session.loopIndex()).unregister(session);
        discardFragments();
        services.metrics().subscriptionsChanged(-removed);
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
                refuseOverRate(ctx, msg);
            } else if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
                WebSocketFrame frame = (WebSocketFrame) msg;
                if (fragments != null) {
                    protocolError("a new message began before the fragmented one ended");
                } else if (frame.isFinalFragment()) {
                    onDataFrame(ctx, frame);
                } else {
                    fragments = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
                    fragmentsAreText = frame instanceof TextWebSocketFrame;
                    appendFragment(ctx, frame);
                }
            } else if (msg instanceof ContinuationWebSocketFrame continuation) {
                if (fragments == null) {
                    protocolError("a continuation frame continues no message");
                } else {
                    appendFragment(ctx, continuation);
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
    private void refuseOverRate(ChannelHandlerContext ctx, Object msg) {
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
            reply(ctx, ServerFrames.error(id, ErrorCode.LIMIT_EXCEEDED, "more than "
                    + services.limits().framesPerSecond() + " frames per second: slow down"));
        }
    }

    /** Adds {@code frame}'s payload to the message being joined, and handles the message once it is whole. */
    private void appendFragment(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (fragments.readableBytes() + frame.content().readableBytes() > services.maxFrameBytes()) {
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
                onDataFrame(ctx, message);
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

    private void onDataFrame(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (session.closing()) {
            return;
        }
        ClientFrame request;
        try {
            request = ClientFrameDecoder.decode(frame, protocol);
        } catch (BadFrameException e) {
            reply(ctx, badRequest(0, e.getMessage()));
            return;
        }
        long id = request.getId();
        switch (request.getKindCase()) {
            case SUBSCRIBE -> subscribe(ctx, id, request.getSubscribe());
            case UNSUBSCRIBE -> reply(ctx, unsubscribe(id, request.getUnsubscribe().getChannel()));
            case PUBLISH -> publish(ctx, id, request.getPublish());
            case PING -> reply(ctx, ServerFrames.ok(id));
            case REFRESH -> reply(ctx, credentials.refresh(id, request.getRefresh().getToken()));
            case KIND_NOT_SET -> reply(ctx, badRequest(id, "the frame names no request: set one of subscribe, "
                    + "unsubscribe, publish, ping or refresh"));
        }
    }

    private void subscribe(ChannelHandlerContext ctx, long id, Subscribe subscribe) {
        if (subscribe.getSnapshot() && subscribe.getResumeFromCount() > 0) {
            reply(ctx, badRequest(id, "snapshot and resume_from cannot be combined: a resume delivers every "
                    + "record after the positions, a snapshot the last value of each key"));
            return;
        }
        double maxRate = subscribe.getMaxRate();
        if (!(maxRate == 0 || maxRate >= MIN_MAX_RATE && maxRate <= Double.MAX_VALUE)) {
            reply(ctx, badRequest(id, "max_rate must be 0 (no limit) or a number of updates per second from "
                    + MIN_MAX_RATE + ", not " + maxRate));
            return;
        }
        ChannelName channel;
        try {
            channel = parseChannel(subscribe.getChannel());
        } catch (IllegalArgumentException e) {
            reply(ctx, badRequest(id, e.getMessage()));
            return;
        }
        if (!services.subscriptions().serves(channel.topic())) {
            reply(ctx, ServerFrames.error(id, ErrorCode.NOT_FOUND, "topic " + channel.topic() + " is not served"));
            return;
        }
        channel = services.subscriptions().canonical(channel);
        if (!credentials.allows(AccessRules.Action.SUBSCRIBE, subscribe.getChannel())) {
            reply(ctx, ServerFrames.error(id, ErrorCode.FORBIDDEN, "the access rules do not let this connection "
                    + "subscribe to " + subscribe.getChannel()));
            return;
        }
        if (subscribe.getSnapshot() && !services.lastValues().keeps(channel.topic())) {
            reply(ctx, badRequest(id, "topic " + channel.topic() + " keeps no snapshots on this gateway "
                    + "(see snapshot.topics)"));
            return;
        }
        Subscription existing = session.subscription(channel);
        if (existing != null) {
            if (subscribe.getResumeFromCount() > 0 || subscribe.getSnapshot()) {
                reply(ctx, badRequest(id, "channel " + channel + " is already subscribed on this connection: "
                        + "unsubscribe it first to resume it or get its snapshot"));
            } else {
                // Subscribing again sets the channel's limit anew.
                session.maxRate(channel, maxRate);
                reply(ctx, ServerFrames.subscribed(id, ResumePoints.positions(session, existing)));
            }
            return;
        }
        if (session.subscriptionCount() >= services.maxSubscriptions()) {
            services.metrics().limitExceeded(Limit.SUBSCRIPTIONS);
            reply(ctx, ServerFrames.error(id, ErrorCode.LIMIT_EXCEEDED,
                    "this connection already holds " + services.maxSubscriptions() + " subscriptions"));
            return;
        }
        PartitionLog[] logs = services.history().partitions(channel.topic());
        long[] resumeFrom;
        try {
            resumeFrom = ResumePositions.parse(subscribe.getResumeFromList(), logs, channel);
        } catch (IllegalArgumentException e) {
            reply(ctx, badRequest(id, e.getMessage()));
            return;
        }
        // Registered before the live positions are read: every record after them reaches this loop (the
        // ingest thread records an offset before it checks which loops want the record).
        services.subscriptions().add(session.loopIndex(), session, channel);
        services.metrics().subscriptionsChanged(1);
        Subscription subscription = new Subscription(session, channel, logs, resumeFrom);
        Replay replay = null;
        if (resumeFrom != null) {
            replay = subscription.startReplay();
        } else if (subscribe.getSnapshot()) {
            subscription.startSnapshot(session.loopIndex());
        } else {
            subscription.startLive();
        }
        session.add(subscription);
        session.maxRate(channel, maxRate);
        reply(ctx, ServerFrames.subscribed(id, ResumePoints.positions(session, subscription)));
        if (replay != null) {
            replay.run();
        } else if (subscribe.getSnapshot()) {
            sendSnapshot(subscription);
        }
    }

    /**
     * Sends {@code subscription}'s snapshot, flushed: the last value of each matching key whose offset is at or
     * below the subscription's start position in its partition, marked {@code snapshot}. A newer value is after
     * the start position, so the live path delivers it; a queued live record at or below it is skipped. So the
     * client gets each key's latest value once, then every later record, with no gap and no duplicate.
     */
    private void sendSnapshot(Subscription subscription) {
        services.lastValues().forEach(subscription.name().topic(), subscription.name().key(), entry -> {
            Message message = entry.frame().getMessage();
            if (subscription.inSnapshot(message.getPartition(), entry.offset())) {
                out.writeFrame(ServerFrame.newBuilder().setMessage(message.toBuilder().setSnapshot(true)).build());
            }
        });
        session.flush();
        subscription.snapshotSent();
    }

    private ServerFrame unsubscribe(long id, String name) {
        ChannelName channel;
        try {
            channel = parseChannel(name);
        } catch (IllegalArgumentException e) {
            return badRequest(id, e.getMessage());
        }
        if (session.remove(channel) != null) {
            services.subscriptions().remove(session.loopIndex(), session, channel);
            services.metrics().subscriptionsChanged(-1);
        }
        return ServerFrames.ok(id);
    }

    private void publish(ChannelHandlerContext ctx, long id, Publish publish) {
        if (services.publisher() == null) {
            reply(ctx, ServerFrames.error(id, ErrorCode.FORBIDDEN, "publishing is disabled on this gateway"));
            return;
        }
        ChannelName channel;
        try {
            channel = parseChannel(publish.getChannel());
        } catch (IllegalArgumentException e) {
            reply(ctx, badRequest(id, e.getMessage()));
            return;
        }
        if (!services.subscriptions().serves(channel.topic())) {
            reply(ctx, ServerFrames.error(id, ErrorCode.NOT_FOUND, "topic " + channel.topic() + " is not served"));
            return;
        }
        if (!credentials.allows(AccessRules.Action.PUBLISH, publish.getChannel())) {
            reply(ctx, ServerFrames.error(id, ErrorCode.FORBIDDEN, "the access rules do not let this connection "
                    + "publish to " + publish.getChannel()));
            return;
        }
        if (publish.getPayload().size() > services.limits().maxPublishPayloadBytes()) {
            services.metrics().limitExceeded(Limit.PAYLOAD_SIZE);
            reply(ctx, ServerFrames.error(id, ErrorCode.LIMIT_EXCEEDED, "the payload is larger than "
                    + services.limits().maxPublishPayloadBytes() + " bytes"));
            return;
        }
        services.publisher().publish(channel, publish.getPayload().toByteArray(), publish.getHeadersMap())
                .whenComplete((metadata, error) -> ctx.executor().execute(() -> {
                    if (error == null) {
                        services.metrics().published();
                        reply(ctx, ServerFrames.ok(id));
                    } else {
                        reply(ctx, ServerFrames.error(id, ErrorCode.UNAVAILABLE,
                                "Kafka did not acknowledge the publish: " + rootMessage(error)));
                    }
                }));
    }

    /** {@link ChannelName#parse} that counts channels over {@code ws.max.channel.length}. */
    private ChannelName parseChannel(String name) {
        if (name.length() > services.maxChannelLength()) {
            services.metrics().limitExceeded(Limit.CHANNEL_LENGTH);
        }
        return ChannelName.parse(name, services.maxChannelLength());
    }

    private static String rootMessage(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && !(cause instanceof RetriableException)) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    private ServerFrame badRequest(long id, String text) {
        services.metrics().badRequest();
        return ServerFrames.error(id, ErrorCode.BAD_REQUEST, text);
    }

    private void reply(ChannelHandlerContext ctx, ServerFrame frame) {
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
