package io.fanwire.client;

import io.fanwire.protocol.v1.ChannelPositions;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.GoAway;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Ping;
import io.fanwire.protocol.v1.Publish;
import io.fanwire.protocol.v1.Refresh;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Unsubscribe;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Fanwire client: one WebSocket connection at a time to one of its gateway URLs, replaced whenever it ends, with
 * every {@link Subscription} resumed from its positions on the new connection so that the application gets every
 * record once and in order per partition (PROTOCOL.md §4.2, §12).
 *
 * <pre>{@code
 * FanwireClient client = FanwireClient.builder("ws://localhost:8080/ws").build();
 * client.subscribe("quotes/AAPL", m -> System.out.println(m.offset() + " " + m.data()));
 * client.publish("orders/alice", "{\"qty\":1}").join();
 * client.close();
 * }</pre>
 *
 * <p><b>Reconnects.</b> A connection that closes, fails or stops answering (no reply to an application
 * {@code Ping} within {@link Builder#pingTimeout}) is replaced after a jittered exponential backoff (base
 * {@link Builder#backoff}, doubling to its cap; reset once a connection stayed open for 5 s), rotating through
 * the URLs. A {@code GoAway} (a draining node) is followed at once by a reconnect after a random delay up to its
 * {@code reconnect_within_ms}, without backoff, with the positions it carries. The token supplier is called for
 * every attempt, and again before the token's {@code exp} to send a {@code Refresh}.
 *
 * <p><b>Threads.</b> Each client lives on one event loop of its group (the default group has two daemon threads
 * shared by every client of the JVM that is not given one): its connection's I/O, timers, state changes and every
 * listener call run on that loop, one at a time. So listener code must not block — hand work to another thread,
 * or use {@link #subscribeBlocking}, whose queue does that. Public methods may be called from any thread; they
 * hand their work to the loop. Thousands of clients can share a loop.
 */
public final class FanwireClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FanwireClient.class);
    /** A connection open this long counts as healthy: the backoff starts again from its base after it. */
    static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final List<URI> urls;
    private final Format format;
    private final FrameCodec codec;
    private final Supplier<CompletionStage<String>> tokens;
    private final Backoff backoff;
    private final long pingIntervalNanos;
    private final long pingTimeoutNanos;
    private final long connectTimeoutMs;
    private final long requestTimeoutMs;
    private final int maxFrameBytes;
    private final Map<String, String> upgradeHeaders;
    private final EventLoop loop;
    private final Class<? extends Channel> channelClass;
    private final List<Consumer<ClientState>> stateListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<FanwireException>> errorListeners = new CopyOnWriteArrayList<>();
    /** By channel. Added from any thread (putIfAbsent); removed on the loop. */
    private final Map<String, Subscription> subscriptions = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
    private volatile ClientState state = ClientState.CONNECTING;
    private volatile boolean closing;

    // Counters: written on the loop only.
    private volatile long attempts;
    private volatile long connections;
    private volatile long failures;
    private volatile long goAways;
    private volatile long livenessDrops;
    private volatile long refreshes;

    // Event loop only.
    private Connection connection;
    private int urlIndex = -1;
    /** Consecutive failed attempts: the backoff exponent. */
    private int failedAttempts;
    private ScheduledFuture<?> reconnectTask;
    private long nextId = 1;
    /** Publishes waiting for a connection. */
    private final Queue<PendingPublish> waitingPublishes = new ArrayDeque<>();
    private SslContext ssl;

    private FanwireClient(Builder b) {
        this.urls = List.copyOf(b.urls);
        this.format = b.format;
        this.codec = new FrameCodec(b.format);
        this.tokens = b.tokens;
        this.backoff = new Backoff(b.backoffBase, b.backoffCap);
        this.pingIntervalNanos = b.pingInterval.toNanos();
        this.pingTimeoutNanos = b.pingTimeout.toNanos();
        this.connectTimeoutMs = b.connectTimeout.toMillis();
        this.requestTimeoutMs = b.requestTimeout.toMillis();
        this.maxFrameBytes = b.maxFrameBytes;
        this.upgradeHeaders = Map.copyOf(b.headers);
        EventLoopGroup group = b.group != null ? b.group : DefaultGroup.GROUP;
        this.channelClass = b.group != null ? b.channelClass : NioSocketChannel.class;
        this.loop = pickLoop(group);
        if (b.stateListener != null) {
            stateListeners.add(b.stateListener);
        }
        if (b.errorListener != null) {
            errorListeners.add(b.errorListener);
        }
        loop.execute(this::connect);
    }

    /** A builder for a client of the gateway at {@code url} ({@code ws://} or {@code wss://}). */
    public static Builder builder(String url) {
        return new Builder().url(url);
    }

    /** A builder for a client that rotates through {@code urls} (several nodes without a balancer). */
    public static Builder builder(List<String> urls) {
        Builder builder = new Builder();
        urls.forEach(builder::url);
        return builder;
    }

    /** At random: round robin would put every n-th client (say, every JSON one in a test) on the same loop. */
    private static EventLoop pickLoop(EventLoopGroup group) {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
        return loops.get(ThreadLocalRandom.current().nextInt(loops.size()));
    }

    // ------------------------------------------------------------------ public API

    /** Subscribes {@code channel} ({@code TOPIC} or {@code TOPIC/KEY}) from now on, handing messages to {@code listener}. */
    public Subscription subscribe(String channel, SubscriptionListener listener) {
        return subscribe(channel, SubscribeOptions.DEFAULT, listener);
    }

    /**
     * Subscribes {@code channel}; the subscription is sent at once when connected, else on the next connection,
     * and resumed on every connection after. A client holds one subscription per channel: subscribing a channel
     * it holds throws {@link IllegalStateException}; unsubscribe first.
     */
    public Subscription subscribe(String channel, SubscribeOptions options, SubscriptionListener listener) {
        checkChannel(channel);
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(listener, "listener");
        if (closing) {
            throw new IllegalStateException("the client is closed");
        }
        Subscription sub = new Subscription(this, channel, options, listener);
        if (subscriptions.putIfAbsent(channel, sub) != null) {
            throw new IllegalStateException("already subscribed to " + channel);
        }
        loop.execute(() -> {
            if (closing) {
                subscriptions.remove(channel, sub);
                sub.closed(new NotConnectedException("CLOSED", "the client was closed"));
            } else if (connection != null && connection.open && sub.isLive() && !sub.sentOn(connection)) {
                // (onOpen may have sent it already, if the connection opened in between)
                sendSubscribe(connection, sub);
                connection.channel.flush();
            }
        });
        return sub;
    }

    /**
     * Subscribes {@code channel} for a program that reads messages in a thread of its own: the returned
     * subscription queues them (without bound) and {@link BlockingSubscription#take} waits for the next.
     */
    public BlockingSubscription subscribeBlocking(String channel, SubscribeOptions options) {
        BlockingSubscription.Handoff handoff = new BlockingSubscription.Handoff();
        Subscription sub = subscribe(channel, options, handoff);
        return new BlockingSubscription(sub, handoff);
    }

    /** {@link #publish(String, byte[], Map)} of a string's UTF-8 bytes (e.g. a JSON text). */
    public CompletableFuture<Void> publish(String channel, String payload) {
        return publish(channel, payload.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    public CompletableFuture<Void> publish(String channel, byte[] payload) {
        return publish(channel, payload, Map.of());
    }

    /**
     * Publishes one record to {@code channel}'s topic ({@code TOPIC/KEY}: with that key). Completes when the
     * gateway replied {@code ok} (Kafka acknowledged the record); fails with a {@link RequestRefusedException}
     * carrying the gateway's code ({@code FORBIDDEN}, {@code UNAVAILABLE}, {@code LIMIT_EXCEEDED}, ...), or a
     * {@link NotConnectedException}: no connection within the request timeout ({@code TIMEOUT}), the connection
     * ended before the reply ({@code NOT_CONNECTED}: the record may have been written), the client closed
     * ({@code CLOSED}). Not retried by the client. While no connection is open it waits for one.
     */
    public CompletableFuture<Void> publish(String channel, byte[] payload, Map<String, String> headers) {
        checkChannel(channel);
        CompletableFuture<Void> result = new CompletableFuture<>();
        ClientFrame.Builder frame = ClientFrame.newBuilder().setPublish(Publish.newBuilder().setChannel(channel)
                .setPayload(com.google.protobuf.ByteString.copyFrom(payload)).putAllHeaders(headers));
        loop.execute(() -> {
            if (closing) {
                result.completeExceptionally(new NotConnectedException("CLOSED", "the client is closed"));
                return;
            }
            PendingPublish pending = new PendingPublish(frame, result);
            pending.timeout = loop.schedule(() -> {
                waitingPublishes.remove(pending);
                result.completeExceptionally(new NotConnectedException("TIMEOUT",
                        "no reply to the publish on " + channel + " within " + requestTimeoutMs + " ms"));
            }, requestTimeoutMs, TimeUnit.MILLISECONDS);
            result.whenComplete((v, e) -> pending.timeout.cancel(false));
            if (connection != null && connection.open) {
                sendPublish(connection, pending);
            } else {
                waitingPublishes.add(pending);
            }
        });
        return result;
    }

    /** The connection's state. */
    public ClientState state() {
        return state;
    }

    /** The subscriptions held (not failed, not unsubscribed), by channel. */
    public Map<String, Subscription> subscriptions() {
        return Map.copyOf(subscriptions);
    }

    public Format format() {
        return format;
    }

    /** The counters so far. */
    public ClientStats stats() {
        return new ClientStats(attempts, connections, failures, goAways, livenessDrops, refreshes);
    }

    /** Called on the event loop with each new state. */
    public void addStateListener(Consumer<ClientState> listener) {
        stateListeners.add(listener);
    }

    /**
     * Called on the event loop with each error the application may want to know of: a failed attempt (401,
     * wrong subprotocol, refused connection, timeout), a lost connection, a refused token refresh, a subscription
     * refused (also given to its listener). The client acts on each by itself (backoff, reconnect).
     */
    public void addErrorListener(Consumer<FanwireException> listener) {
        errorListeners.add(listener);
    }

    /**
     * Closes the connection with 1000 and stops reconnecting; subscriptions end ({@link SubscriptionState#CLOSED}),
     * waiting requests fail with {@code CLOSED}. The future completes when the connection is closed.
     */
    public CompletableFuture<Void> closeAsync() {
        loop.execute(this::shutdown);
        return closedFuture;
    }

    /** {@link #closeAsync()}, waiting up to 5 s for it unless called on the client's event loop. */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync();
        if (!loop.inEventLoop()) {
            try {
                done.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.debug("close did not complete", e);
            }
        }
    }

    @Override
    public String toString() {
        return "FanwireClient{" + urls + " " + format + " " + state + ", " + stats() + "}";
    }

    // ------------------------------------------------------------------ connecting (event loop)

    private void connect() {
        reconnectTask = null;
        if (closing) {
            return;
        }
        urlIndex = (urlIndex + 1) % urls.size();
        URI uri = urls.get(urlIndex);
        setState(ClientState.CONNECTING);
        attempts++;
        if (tokens == null) {
            open(uri, null);
            return;
        }
        CompletionStage<String> token;
        try {
            token = Objects.requireNonNull(tokens.get(), "the token supplier returned null");
        } catch (RuntimeException e) {
            attemptFailed(new FanwireException("TOKEN", "the token supplier failed: " + e, e));
            return;
        }
        token.whenComplete((value, error) -> loop.execute(() -> {
            if (closing) {
                return;
            }
            if (error != null || value == null || value.isEmpty()) {
                attemptFailed(new FanwireException("TOKEN", "the token supplier gave no token: "
                        + (error != null ? error : "null"), error));
            } else {
                open(uri, value);
            }
        }));
    }

    private void open(URI uri, String token) {
        connection = new Connection(uri, token);
        connection.start();
    }

    /** An attempt that never reached OPEN (or a token that could not be had): tell the app, back off. */
    private void attemptFailed(FanwireException why) {
        failures++;
        reportError(why);
        scheduleReconnect(backoff.delayMs(failedAttempts++, ThreadLocalRandom.current()));
    }

    private void scheduleReconnect(long delayMs) {
        if (closing) {
            return;
        }
        setState(ClientState.CONNECTING);
        reconnectTask = loop.schedule(this::connect, delayMs, TimeUnit.MILLISECONDS);
    }

    /**
     * A new connection: every subscription subscribes again (resuming), except a keyed one {@code T/K} whose
     * whole-topic subscription {@code T} the client also holds. That one rides on {@code T}'s stream, which carries
     * its records too: on the wire the connection holds no overlapping channels while they resume. Two overlapping
     * channels resuming side by side would each replay its own records in order, but the two replays interleave,
     * so one subscription would see a partition's offsets out of order and discard the later-sent lower ones as
     * duplicates (PROTOCOL.md §4.2, overlapping channels).
     */
    private void onOpen(Connection c) {
        connections++;
        setState(ClientState.OPEN);
        for (Subscription sub : subscriptions.values()) {
            if (!sub.isLive()) {
                continue;
            }
            Subscription topic = subscriptions.get(sub.topic());
            if (topic != null && sub.canRideOn(topic)) {
                sub.subscribing(c);
                sub.ridingOn = topic;
            } else {
                sendSubscribe(c, sub);
            }
        }
        for (PendingPublish publish; (publish = waitingPublishes.poll()) != null; ) {
            sendPublish(c, publish);
        }
        c.channel.flush();
        c.scheduleLiveness();
        c.scheduleRefresh();
    }

    private void onEnded(Connection c) {
        if (connection != c) {
            return;
        }
        connection = null;
        for (Subscription sub : subscriptions.values()) {
            sub.connectionEnded();
        }
        if (closing) {
            finishClose();
            return;
        }
        if (!c.open) {
            attemptFailed(c.endCause != null ? c.endCause
                    : new FanwireException("CONNECTION_LOST", "the connection to " + c.uri + " ended before the upgrade"));
            return;
        }
        if (System.nanoTime() - c.openedNanos >= STABLE_NANOS) {
            failedAttempts = 0;
        }
        if (c.goAway != null) {
            long within = Math.max(0, c.goAway.getReconnectWithinMs());
            scheduleReconnect(within == 0 ? 0 : ThreadLocalRandom.current().nextLong(within + 1));
            return;
        }
        reportError(c.endCause != null ? c.endCause : new FanwireException("CONNECTION_LOST",
                "the connection to " + c.uri + " ended" + (c.closeCode >= 0 ? " with close " + c.closeCode + " "
                        + c.closeReason : "")));
        scheduleReconnect(backoff.delayMs(failedAttempts++, ThreadLocalRandom.current()));
    }

    // ------------------------------------------------------------------ frames (event loop)

    private void onFrame(Connection c, ServerFrame frame) {
        switch (frame.getKindCase()) {
            case MESSAGE -> route(c, frame.getMessage());
            case REPLY -> c.reply(frame.getReply());
            case GAP -> gap(c, frame.getGap());
            case GO_AWAY -> goAway(c, frame.getGoAway());
            default -> {
                // Pong (reserved) and kinds of later versions: ignored (PROTOCOL.md §11).
            }
        }
    }

    /**
     * A Message goes to subscription S when its channel is S or S is the channel's topic (PROTOCOL.md §4 rule 1):
     * the key is everything after the first '/', so {@code quotes/a/b} is key {@code a/b}, not under {@code quotes/a}.
     */
    private void route(Connection c, Message message) {
        String channel = message.getChannel();
        Subscription exact = subscriptions.get(channel);
        if (exact != null) {
            exact.offer(c, message);
        }
        int slash = channel.indexOf('/');
        if (slash >= 0) {
            Subscription topic = subscriptions.get(channel.substring(0, slash));
            if (topic != null) {
                topic.offer(c, message);
            }
        }
    }

    /** A Gap applies to subscription S when its channel is S or S's topic (PROTOCOL.md §3.2). */
    private void gap(Connection c, io.fanwire.protocol.v1.Gap gap) {
        for (Subscription sub : subscriptions.values()) {
            if (sub.channel().equals(gap.getChannel()) || sub.topic().equals(gap.getChannel())) {
                sub.offer(c, gap);
            }
        }
    }

    private void goAway(Connection c, GoAway goAway) {
        goAways++;
        if (goAway.getChannelsCount() > 0) {
            for (ChannelPositions cp : goAway.getChannelsList()) {
                Subscription sub = subscriptions.get(cp.getChannel());
                if (sub != null && sub.isLive()) {
                    sub.adopt(cp.getPositionsList());
                }
            }
        } else if (goAway.getResumeFromCount() > 0) {
            for (Subscription sub : subscriptions.values()) {
                if (sub.activeOn(c)) {
                    sub.adopt(goAway.getResumeFromList());
                }
            }
        }
        LOG.debug("GoAway from {}: {}", c.uri, goAway.getReason());
        c.goAway = goAway;
        c.channel.close();
    }

    private void sendSubscribe(Connection c, Subscription sub) {
        sub.subscribing(c);
        c.request(ClientFrame.newBuilder().setSubscribe(sub.subscribeRequest()), false, reply -> {
            if (!sub.isLive() || subscriptions.get(sub.channel()) != sub) {
                return;
            }
            if (reply == null) {
                return; // the connection ended first: it is resubscribed on the next one
            }
            if (reply.hasSubscribed()) {
                sub.subscribed(c, reply.getSubscribed().getPositionsList());
                for (Subscription rider : ridersOf(sub)) {
                    // Everything of the key at or below the topic's positions reached it on this connection's
                    // ordered stream too, so the topic's positions are the rider's as well.
                    rider.subscribed(c, reply.getSubscribed().getPositionsList());
                }
            } else {
                subscriptions.remove(sub.channel(), sub);
                FanwireException error = refusal(reply);
                sub.refused(error);
                reportError(error);
                subscribeRiders(c, sub);
            }
        });
    }

    private List<Subscription> ridersOf(Subscription topic) {
        List<Subscription> riders = new ArrayList<>();
        for (Subscription sub : subscriptions.values()) {
            if (sub.ridingOn == topic && sub.isLive()) {
                riders.add(sub);
            }
        }
        return riders;
    }

    /** {@code topic}'s stream is gone from {@code c} (refused, unsubscribed): its riders subscribe on their own. */
    private void subscribeRiders(Connection c, Subscription topic) {
        List<Subscription> riders = ridersOf(topic);
        for (Subscription rider : riders) {
            rider.ridingOn = null;
            sendSubscribe(c, rider);
        }
        if (!riders.isEmpty()) {
            c.channel.flush();
        }
    }

    private void sendPublish(Connection c, PendingPublish pending) {
        c.request(pending.frame, true, reply -> {
            if (reply == null) {
                pending.result.completeExceptionally(new NotConnectedException("NOT_CONNECTED",
                        "the connection ended before the publish's reply; the record may have been written"));
            } else if (reply.hasOk()) {
                pending.result.complete(null);
            } else {
                pending.result.completeExceptionally(refusal(reply));
            }
        });
    }

    private static RequestRefusedException refusal(Reply reply) {
        if (reply.hasError()) {
            return new RequestRefusedException(reply.getError().getCode(), reply.getError().getMessage());
        }
        return new RequestRefusedException("UNEXPECTED_REPLY", "unexpected reply " + reply.getResultCase());
    }

    CompletableFuture<Void> unsubscribe(Subscription sub) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        loop.execute(() -> {
            if (subscriptions.get(sub.channel()) != sub) {
                done.complete(null);
                return;
            }
            boolean wasLive = sub.isLive();
            boolean onTheWire = sub.ridingOn == null;
            subscriptions.remove(sub.channel(), sub);
            sub.closed(new NotConnectedException("CLOSED", "unsubscribed from " + sub.channel()));
            Connection c = connection;
            if (!wasLive || c == null || !c.open || !onTheWire) {
                if (c != null && c.open) {
                    subscribeRiders(c, sub);
                }
                done.complete(null);
                return;
            }
            c.request(ClientFrame.newBuilder().setUnsubscribe(Unsubscribe.newBuilder().setChannel(sub.channel())),
                    true, reply -> done.complete(null));
            // After the Unsubscribe, so that the riders' resumes never overlap the topic's stream on the wire.
            subscribeRiders(c, sub);
        });
        return done;
    }

    // ------------------------------------------------------------------ closing (event loop)

    private void shutdown() {
        if (closing) {
            return;
        }
        closing = true;
        if (reconnectTask != null) {
            reconnectTask.cancel(false);
        }
        NotConnectedException closed = new NotConnectedException("CLOSED", "the client was closed");
        for (PendingPublish publish; (publish = waitingPublishes.poll()) != null; ) {
            publish.result.completeExceptionally(closed);
        }
        for (Iterator<Subscription> it = subscriptions.values().iterator(); it.hasNext(); ) {
            Subscription sub = it.next();
            it.remove();
            sub.closed(closed);
        }
        Connection c = connection;
        if (c == null) {
            finishClose();
            return;
        }
        if (c.channel == null) {
            return; // never started: its end is on its way (onEnded finishes the close)
        }
        if (c.open) {
            c.channel.writeAndFlush(new CloseWebSocketFrame(1000, "")).addListener(f ->
                    // The gateway echoes the Close and ends TCP; do not wait for a gateway that does not.
                    loop.schedule(() -> c.channel.close(), 1, TimeUnit.SECONDS));
        } else {
            c.channel.close();
        }
    }

    private void finishClose() {
        setState(ClientState.CLOSED);
        closedFuture.complete(null);
    }

    // ------------------------------------------------------------------ helpers

    private void setState(ClientState next) {
        if (state == next || state == ClientState.CLOSED) {
            return;
        }
        state = next;
        for (Consumer<ClientState> listener : stateListeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                LOG.warn("a state listener threw", e);
            }
        }
    }

    private void reportError(FanwireException error) {
        LOG.debug("{}", error.getMessage());
        for (Consumer<FanwireException> listener : errorListeners) {
            try {
                listener.accept(error);
            } catch (RuntimeException e) {
                LOG.warn("an error listener threw", e);
            }
        }
    }

    private static void checkChannel(String channel) {
        Objects.requireNonNull(channel, "channel");
        int slash = channel.indexOf('/');
        if (channel.isEmpty() || slash == 0 || slash == channel.length() - 1) {
            throw new IllegalArgumentException("not a channel (TOPIC or TOPIC/KEY): '" + channel + "'");
        }
    }

    private SslContext ssl() throws SSLException {
        if (ssl == null) {
            ssl = SslContextBuilder.forClient().build();
        }
        return ssl;
    }

    private static final class PendingPublish {
        final ClientFrame.Builder frame;
        final CompletableFuture<Void> result;
        ScheduledFuture<?> timeout;

        PendingPublish(ClientFrame.Builder frame, CompletableFuture<Void> result) {
            this.frame = frame;
            this.result = result;
        }
    }

    /** The default event loops: two daemon threads for every client of the JVM that is given no group. */
    private static final class DefaultGroup {
        static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(2,
                new DefaultThreadFactory("fanwire-client", true), NioIoHandler.newFactory());
    }

    // ------------------------------------------------------------------ one connection

    /** One WebSocket connection (one attempt); the last handler of its pipeline. Event loop only. */
    private final class Connection extends SimpleChannelInboundHandler<WebSocketFrame> {
        final URI uri;
        final String token;
        Channel channel;
        boolean open;
        boolean ended;
        long openedNanos;
        long lastReadNanos = System.nanoTime();
        long pingSentNanos;
        GoAway goAway;
        FanwireException endCause;
        int closeCode = -1;
        String closeReason = "";
        /** Replies awaited, by request id; each is called with the reply, or null if the connection ends first. */
        final Map<Long, Consumer<Reply>> pending = new HashMap<>();
        final List<ScheduledFuture<?>> timers = new ArrayList<>();

        Connection(URI uri, String token) {
            this.uri = uri;
            this.token = token;
        }

        void start() {
            HttpHeaders headers = new DefaultHttpHeaders();
            upgradeHeaders.forEach(headers::set);
            if (token != null) {
                headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
            }
            WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                    .webSocketUri(uri)
                    .subprotocol(format.subprotocol())
                    .customHeaders(headers)
                    .maxFramePayloadLength(maxFrameBytes)
                    .handshakeTimeoutMillis(connectTimeoutMs)
                    .handleCloseFrames(false)
                    .dropPongFrames(true)
                    .generateOriginHeader(false)
                    .build();
            boolean tls = "wss".equalsIgnoreCase(uri.getScheme());
            int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
            SslContext sslContext;
            try {
                sslContext = tls ? ssl() : null;
            } catch (SSLException e) {
                endCause = new ProtocolException("TLS", "cannot set up TLS: " + e, 0, e);
                loop.execute(() -> ended());
                return;
            }
            ChannelFuture connecting = new Bootstrap().group(loop).channel(channelClass)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMs))
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    lastReadNanos = System.nanoTime();
                                    ctx.fireChannelRead(msg);
                                }
                            });
                            if (sslContext != null) {
                                ch.pipeline().addLast(sslContext.newHandler(ch.alloc(), uri.getHost(), port));
                            }
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(16 * 1024),
                                    new WebSocketClientProtocolHandler(config),
                                    new WebSocketFrameAggregator(maxFrameBytes), Connection.this);
                        }
                    })
                    .connect(uri.getHost(), port);
            channel = connecting.channel();
            channel.closeFuture().addListener(f -> ended());
            connecting.addListener(f -> {
                if (!f.isSuccess() && endCause == null) {
                    endCause = new FanwireException("CONNECTION_REFUSED", "cannot connect to " + uri + ": "
                            + f.cause().getMessage(), f.cause());
                }
            });
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                if (connection != this || closing) {
                    ctx.close();
                    return;
                }
                open = true;
                openedNanos = System.nanoTime();
                onOpen(this);
            } else if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                endCause = new NotConnectedException("TIMEOUT", "no WebSocket upgrade from " + uri + " within "
                        + connectTimeoutMs + " ms");
                ctx.close();
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof CloseWebSocketFrame close) {
                closeCode = close.statusCode();
                closeReason = close.reasonText();
                if (closeCode == 4001) {
                    endCause = new AuthenticationException("TOKEN_EXPIRED", "the gateway closed the connection "
                            + "with 4001: " + closeReason, 0);
                }
                ctx.close();
                return;
            }
            if (goAway != null) {
                return;
            }
            ServerFrame serverFrame;
            try {
                serverFrame = codec.decode(frame);
            } catch (Exception e) {
                reportError(new ProtocolException("PROTOCOL_ERROR", "an undecodable frame from " + uri + ": " + e,
                        0, e));
                return;
            }
            onFrame(this, serverFrame);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (endCause == null) {
                endCause = classify(cause);
            }
            ctx.close();
        }

        private FanwireException classify(Throwable cause) {
            if (cause instanceof WebSocketClientHandshakeException handshake) {
                int status = handshake.response() != null ? handshake.response().status().code() : 0;
                String why = handshake.response() != null
                        ? handshake.response().headers().get(HttpHeaderNames.WWW_AUTHENTICATE, "") : "";
                if (status == HttpResponseStatus.UNAUTHORIZED.code()) {
                    return new AuthenticationException("UNAUTHENTICATED", "the gateway at " + uri
                            + " refused the token (401) " + why, 401);
                }
                if (status == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
                    String selected = handshake.response().headers().get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
                    return new ProtocolException("UNKNOWN_SUBPROTOCOL", uri + " answered 101 with subprotocol "
                            + selected + ", not " + format.subprotocol(), 101, cause);
                }
                return new ProtocolException("HANDSHAKE_FAILED", uri + " refused the upgrade: "
                        + (status > 0 ? "HTTP " + status : cause.getMessage()), status, cause);
            }
            return new FanwireException("CONNECTION_LOST", "connection to " + uri + " failed: " + cause, cause);
        }

        /** Sends a request with a fresh id; {@code onReply} gets its reply, or null if the connection ends first. */
        void request(ClientFrame.Builder frame, boolean flush, Consumer<Reply> onReply) {
            long id = nextId++;
            pending.put(id, onReply);
            WebSocketFrame encoded = codec.encode(frame.setId(id).build());
            if (flush) {
                channel.writeAndFlush(encoded);
            } else {
                channel.write(encoded);
            }
        }

        void reply(Reply reply) {
            Consumer<Reply> handler = pending.remove(reply.getId());
            if (handler != null) {
                handler.accept(reply);
            } else if (reply.hasError()) {
                reportError(new RequestRefusedException(reply.getError().getCode(), "a reply to no request (id "
                        + reply.getId() + "): " + reply.getError().getMessage()));
            }
        }

        /** Every ping interval: a Ping if nothing arrived since; no answer within the timeout: replace it. */
        void scheduleLiveness() {
            if (pingIntervalNanos <= 0) {
                return;
            }
            timers.add(loop.scheduleWithFixedDelay(() -> {
                long now = System.nanoTime();
                if (pingSentNanos == 0 && now - lastReadNanos >= pingIntervalNanos) {
                    pingSentNanos = now;
                    request(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance()), true,
                            reply -> pingSentNanos = 0);
                    timers.add(loop.schedule(this::checkAnswered, pingTimeoutNanos, TimeUnit.NANOSECONDS));
                }
            }, pingIntervalNanos, Math.min(pingIntervalNanos, pingTimeoutNanos), TimeUnit.NANOSECONDS));
        }

        private void checkAnswered() {
            long sent = pingSentNanos;
            if (sent != 0 && lastReadNanos - sent < 0 && !ended) {
                livenessDrops++;
                endCause = new FanwireException("LIVENESS", uri + " sent nothing for "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastReadNanos)
                        + " ms and did not answer a ping: replacing the connection");
                channel.close();
            }
        }

        /** Before the token's exp: ask the supplier for a new one and send it in a Refresh. */
        void scheduleRefresh() {
            if (token == null || tokens == null) {
                return;
            }
            scheduleRefresh(token);
        }

        private void scheduleRefresh(String current) {
            OptionalLong exp = TokenRefresh.expiresAtMillis(current);
            if (exp.isEmpty()) {
                return;
            }
            long delay = TokenRefresh.delayMs(System.currentTimeMillis(), exp.getAsLong());
            if (delay < 0) {
                return;
            }
            timers.add(loop.schedule(this::refresh, delay, TimeUnit.MILLISECONDS));
        }

        private void refresh() {
            if (ended) {
                return;
            }
            CompletionStage<String> next;
            try {
                next = tokens.get();
            } catch (RuntimeException e) {
                next = CompletableFuture.failedFuture(e);
            }
            next.whenComplete((value, error) -> loop.execute(() -> {
                if (ended) {
                    return;
                }
                if (error != null || value == null || value.isEmpty()) {
                    endCause = new FanwireException("TOKEN", "the token supplier gave no token for a refresh: "
                            + (error != null ? error : "null"), error);
                    reportError(endCause);
                    channel.close();
                    return;
                }
                request(ClientFrame.newBuilder().setRefresh(Refresh.newBuilder().setToken(value)), true, reply -> {
                    if (reply == null) {
                        return;
                    }
                    if (reply.hasOk()) {
                        refreshes++;
                        scheduleRefresh(value);
                    } else {
                        RequestRefusedException refused = refusal(reply);
                        endCause = new AuthenticationException(refused.code(), "the gateway refused the token "
                                + "refresh: " + refused.serverMessage(), 0);
                        reportError(endCause);
                        channel.close();
                    }
                });
            }));
        }

        /** The channel closed (or never connected): settle everything, then let the client reconnect. */
        void ended() {
            if (ended) {
                return;
            }
            ended = true;
            timers.forEach(t -> t.cancel(false));
            List<Consumer<Reply>> waiting = new ArrayList<>(pending.values());
            pending.clear();
            for (Consumer<Reply> handler : waiting) {
                handler.accept(null);
            }
            onEnded(this);
        }
    }

    // ------------------------------------------------------------------ builder

    /**
     * Builds a {@link FanwireClient}; every option has a default. Not thread-safe. {@link #build()} validates the
     * URLs ({@link ProtocolException} {@code BAD_URL}) and starts connecting.
     */
    public static final class Builder {
        private final List<URI> urls = new ArrayList<>();
        private Format format = Format.JSON;
        private Supplier<CompletionStage<String>> tokens;
        private Duration backoffBase = Duration.ofMillis(500);
        private Duration backoffCap = Duration.ofSeconds(10);
        private Duration pingInterval = Duration.ofSeconds(15);
        private Duration pingTimeout = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(15);
        private int maxFrameBytes = 1 << 20;
        private final Map<String, String> headers = new HashMap<>();
        private EventLoopGroup group;
        private Class<? extends Channel> channelClass = NioSocketChannel.class;
        private Consumer<ClientState> stateListener;
        private Consumer<FanwireException> errorListener;

        private Builder() {
        }

        /** Adds a gateway URL, {@code ws://HOST:PORT/PATH} or {@code wss://...}; several are tried in turn. */
        public Builder url(String url) {
            urls.add(parse(url));
            return this;
        }

        private static URI parse(String url) {
            URI uri;
            try {
                uri = new URI(Objects.requireNonNull(url, "url"));
            } catch (URISyntaxException e) {
                throw new ProtocolException("BAD_URL", "not a URL: " + url + " (" + e.getMessage() + ")", 0, e);
            }
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("ws") || scheme.equalsIgnoreCase("wss"))) {
                throw new ProtocolException("BAD_URL", "not a ws:// or wss:// URL: " + url, 0, null);
            }
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                throw new ProtocolException("BAD_URL", "no host in " + url, 0, null);
            }
            if (uri.getRawFragment() != null) {
                throw new ProtocolException("BAD_URL", "a WebSocket URL has no fragment: " + url, 0, null);
            }
            return uri;
        }

        /** The subprotocol; default {@link Format#JSON}. */
        public Builder format(Format format) {
            this.format = Objects.requireNonNull(format);
            return this;
        }

        /**
         * A token (JWT) source called for every connection attempt and before {@code exp}; default none. It is
         * called on the event loop, so it must answer at once (a cached token); use {@link #asyncToken} for a
         * source that fetches.
         */
        public Builder token(Supplier<String> token) {
            Objects.requireNonNull(token);
            this.tokens = () -> {
                try {
                    return CompletableFuture.completedFuture(token.get());
                } catch (RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
            };
            return this;
        }

        /** As {@link #token(Supplier)}, for a source that fetches tokens asynchronously. Called on the event loop. */
        public Builder asyncToken(Supplier<CompletionStage<String>> token) {
            this.tokens = Objects.requireNonNull(token);
            return this;
        }

        /** Reconnect delays: attempt n waits in [d/2, d], d = min(cap, base * 2^n); default 500 ms, 10 s. */
        public Builder backoff(Duration base, Duration cap) {
            new Backoff(base, cap);
            this.backoffBase = base;
            this.backoffCap = cap;
            return this;
        }

        /** A Ping after this much silence from the server; default 15 s; zero turns the liveness check off. */
        public Builder pingInterval(Duration interval) {
            this.pingInterval = requireNonNegative(interval, "pingInterval");
            return this;
        }

        /** No byte within this time after a Ping: the connection is replaced; default 10 s. */
        public Builder pingTimeout(Duration timeout) {
            this.pingTimeout = requirePositive(timeout, "pingTimeout");
            return this;
        }

        /** TCP connect plus WebSocket upgrade; default 10 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = requirePositive(timeout, "connectTimeout");
            return this;
        }

        /** How long a publish may wait for a connection and its reply; default 15 s. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = requirePositive(timeout, "requestTimeout");
            return this;
        }

        /** Largest server message accepted; default 1 MiB. */
        public Builder maxFrameBytes(int bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("maxFrameBytes below 1024: " + bytes);
            }
            this.maxFrameBytes = bytes;
            return this;
        }

        /** An extra header on the upgrade request (e.g. {@code Origin}); default none. */
        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        /**
         * Event loops to run on, NIO ({@link NioSocketChannel}); default: two daemon threads shared by every client
         * of the JVM. The client does not shut the group down.
         */
        public Builder eventLoopGroup(EventLoopGroup group) {
            return eventLoopGroup(group, NioSocketChannel.class);
        }

        /** Event loops of another transport (e.g. epoll) with its socket channel class. */
        public Builder eventLoopGroup(EventLoopGroup group, Class<? extends Channel> socketChannelClass) {
            this.group = Objects.requireNonNull(group);
            this.channelClass = Objects.requireNonNull(socketChannelClass);
            return this;
        }

        /** Called on the event loop with each state; default none. */
        public Builder onState(Consumer<ClientState> listener) {
            this.stateListener = listener;
            return this;
        }

        /** Called on the event loop with each error ({@link FanwireClient#addErrorListener}); default none. */
        public Builder onError(Consumer<FanwireException> listener) {
            this.errorListener = listener;
            return this;
        }

        /** Validates and starts connecting. */
        public FanwireClient build() {
            if (urls.isEmpty()) {
                throw new ProtocolException("BAD_URL", "no URL given", 0, null);
            }
            return new FanwireClient(this);
        }

        private static Duration requirePositive(Duration d, String name) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + d);
            }
            return d;
        }

        private static Duration requireNonNegative(Duration d, String name) {
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative: " + d);
            }
            return d;
        }
    }
}
