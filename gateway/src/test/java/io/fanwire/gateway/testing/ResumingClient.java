package io.fanwire.gateway.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.fanwire.protocol.v1.ChannelPositions;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The loss-free reconnecting client of PROTOCOL.md §4.2: subscribes one channel, keeps its positions in a
 * {@link SequenceLog} that discards duplicates by offset, and whenever its connection ends — a {@code GoAway}
 * (whose positions it adopts), a close, a dead node — connects to the node {@code nodes} names next (after a
 * random delay up to {@code GoAway.reconnect_within_ms}) and resubscribes with {@code resume_from}. Records the
 * longest time it spent without a subscribed connection after its first, and where that time went.
 *
 * <p>A Netty client on an event loop shared by every {@code ResumingClient} of the JVM: the soak runs a thousand
 * or more of them next to three nodes on two cores, where a JDK client with its selector and worker threads per
 * client fell seconds behind in reading (and so saw its {@code GoAway} late). Everything but the getters runs on
 * the client's event loop; the getters read the {@link SequenceLog} under its lock.
 */
public final class ResumingClient implements AutoCloseable {

    private static final Duration RETRY = Duration.ofMillis(100);
    private static final long EPOCH = System.nanoTime();
    private static final int MAX_FRAME = 1 << 20;
    private static final long SUBSCRIBE_ID = 1;
    /** The clients' event loops, daemon threads: nothing to shut down when the last test is done. */
    private static final EventLoopGroup LOOPS = new MultiThreadIoEventLoopGroup(2,
            new DefaultThreadFactory("resuming-client", true), NioIoHandler.newFactory());
    private static final List<EventLoop> LOOP_LIST = new ArrayList<>();
    private static final JsonFormat.Parser JSON = JsonFormat.parser();

    static {
        LOOPS.forEach(executor -> LOOP_LIST.add((EventLoop) executor));
    }

    private final String name;
    private final String channel;
    private final Supplier<URI> nodes;
    private final boolean proto;
    /**
     * At random rather than in turn: tests alternate JSON and protobuf clients, and in turn would put every JSON
     * client (several times the decoding cost) on the same loop.
     */
    private final EventLoop loop = LOOP_LIST.get(ThreadLocalRandom.current().nextInt(LOOP_LIST.size()));
    private final SequenceLog log = SequenceLog.discardingByOffset();
    /** What happened to each connection (resume positions, replies, GoAways): a failing test prints it. */
    private final List<String> events = new CopyOnWriteArrayList<>();
    private volatile Throwable failure;
    private volatile boolean running = true;
    private volatile long longestOutageNanos;
    /** Where the longest outage went: the reconnect delay, failed attempts, the upgrade and the subscribe. */
    private volatile String longestOutageParts = "";
    private volatile int connections;
    private volatile int goAways;
    private volatile boolean subscribed;
    /** How the last connection ended, for a failing test's message. */
    private volatile String lastEnd = "still on its first connection";

    // Event loop only.
    private Channel current;
    private long outageStart = System.nanoTime();
    private long attemptStart;
    private long opened;
    private int failedAttempts;
    private long reconnectDelayMs = RETRY.toMillis();
    private boolean goAwayReceived;

    public ResumingClient(String name, String channel, Supplier<URI> nodes, boolean proto) {
        this(name, channel, nodes, proto, List.of());
    }

    /** A client that resumes from {@code from} on its first connection too (offset -1: from the beginning). */
    public ResumingClient(String name, String channel, Supplier<URI> nodes, boolean proto, List<Position> from) {
        this.name = name;
        this.channel = channel;
        this.nodes = nodes;
        this.proto = proto;
        log.adopt(from);
        loop.execute(this::connect);
    }

    private void connect() {
        if (!running) {
            return;
        }
        URI uri = nodes.get();
        attemptStart = System.nanoTime();
        goAwayReceived = false;
        lastEnd = "connecting to " + uri.getPort();
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .subprotocol(proto ? "fanwire.v1.proto" : "fanwire.v1.json")
                .maxFramePayloadLength(MAX_FRAME)
                .handshakeTimeoutMillis(WsTestClient.WAIT.toMillis())
                .handleCloseFrames(false)
                .build();
        ChannelFuture connecting = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_FRAME),
                                new WebSocketClientProtocolHandler(config), new WebSocketFrameAggregator(MAX_FRAME),
                                new Connection());
                    }
                })
                .connect(uri.getHost(), uri.getPort());
        current = connecting.channel();
        connecting.addListener(f -> {
            if (!f.isSuccess()) {
                attemptFailed("connect to " + uri.getPort() + " failed: " + f.cause());
            }
        });
    }

    /** The attempt ended before its subscription: try again after the retry interval. */
    private void attemptFailed(String why) {
        failedAttempts++;
        lastEnd = why;
        event("failed: " + why);
        reconnectLater(RETRY.toMillis());
    }

    private void reconnectLater(long delayMs) {
        if (running) {
            loop.schedule(this::connect, delayMs, TimeUnit.MILLISECONDS);
        }
    }

    /** The handler at the end of one connection's pipeline. */
    private final class Connection extends SimpleChannelInboundHandler<WebSocketFrame> {
        private boolean replied;
        /** Frames that came before the subscribe's reply: handled after it, in order. */
        private final List<ServerFrame> early = new ArrayList<>();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                opened = System.nanoTime();
                List<Position> positions;
                synchronized (log) {
                    positions = log.positions();
                }
                event("connect " + nodes.get().getPort() + " resume_from " + brief(positions));
                ClientFrame subscribe = ClientFrame.newBuilder().setId(SUBSCRIBE_ID).setSubscribe(
                        Subscribe.newBuilder().setChannel(channel).addAllResumeFrom(positions)).build();
                ctx.writeAndFlush(proto ? new BinaryWebSocketFrame(Unpooled.wrappedBuffer(subscribe.toByteArray()))
                        : new TextWebSocketFrame(JsonFormat.printer().print(subscribe)));
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) throws Exception {
            if (frame instanceof CloseWebSocketFrame close) {
                lastEnd = "closed " + close.statusCode() + " " + close.reasonText();
                ctx.close();
                return;
            }
            ServerFrame serverFrame = decode(frame);
            if (serverFrame == null) {
                return;
            }
            if (!replied) {
                if (serverFrame.hasReply() && serverFrame.getReply().getId() == SUBSCRIBE_ID) {
                    replied = true;
                    onSubscribeReply(ctx, serverFrame.getReply());
                    for (ServerFrame earlier : early) {
                        onFrame(ctx, earlier);
                    }
                    early.clear();
                } else {
                    early.add(serverFrame);
                }
                return;
            }
            onFrame(ctx, serverFrame);
        }

        private ServerFrame decode(WebSocketFrame frame) throws InvalidProtocolBufferException {
            if (frame instanceof BinaryWebSocketFrame) {
                return ServerFrame.parseFrom(ByteBufUtil.getBytes(frame.content()));
            }
            if (frame instanceof TextWebSocketFrame) {
                ServerFrame.Builder builder = ServerFrame.newBuilder();
                JSON.merge(frame.content().toString(StandardCharsets.UTF_8), builder);
                return builder.build();
            }
            return null;
        }

        private void onSubscribeReply(ChannelHandlerContext ctx, Reply reply) {
            if (!reply.hasSubscribed()) {
                failure = new AssertionError("subscribe " + channel + " refused: " + reply);
                lastEnd = "subscribe refused";
                ctx.close();
                return;
            }
            event("subscribed " + brief(reply.getSubscribed().getPositionsList()));
            synchronized (log) {
                log.adopt(reply.getSubscribed().getPositionsList());
            }
            long now = System.nanoTime();
            if (connections > 0 && now - outageStart > longestOutageNanos) {
                longestOutageNanos = now - outageStart;
                longestOutageParts = String.format("%d ms: last attempt began %d ms in after %d failed, "
                        + "upgrade %d ms, subscribe %d ms", millis(now - outageStart), millis(attemptStart - outageStart),
                        failedAttempts, millis(opened - attemptStart), millis(now - opened));
            }
            failedAttempts = 0;
            connections++;
            subscribed = true;
        }

        private void onFrame(ChannelHandlerContext ctx, ServerFrame frame) {
            synchronized (log) {
                if (frame.hasMessage()) {
                    log.accept(frame.getMessage());
                } else if (frame.hasGap()) {
                    log.gap(frame.getGap());
                } else if (frame.hasGoAway()) {
                    for (ChannelPositions cp : frame.getGoAway().getChannelsList()) {
                        if (cp.getChannel().equals(channel)) {
                            event("GoAway " + brief(cp.getPositionsList()) + " having " + brief(log.positions()));
                            log.adopt(cp.getPositionsList());
                        }
                    }
                    goAways++;
                    goAwayReceived = true;
                    lastEnd = "GoAway " + frame.getGoAway().getReason();
                    reconnectDelayMs = ThreadLocalRandom.current().nextLong(frame.getGoAway().getReconnectWithinMs() + 1);
                    ended();
                    ctx.close();
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (replied && !goAwayReceived) {
                ended();
                reconnectLater(RETRY.toMillis());
            } else if (!replied) {
                attemptFailed("connection ended before the subscription: " + lastEnd);
            } else {
                reconnectLater(reconnectDelayMs);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            lastEnd = cause.toString();
            ctx.close();
        }
    }

    /** The connection this client was subscribed on is over: the outage starts. */
    private void ended() {
        if (subscribed) {
            subscribed = false;
            outageStart = System.nanoTime();
        }
    }

    /** One line of {@link #events}, stamped with the milliseconds since the first client started. */
    private void event(String what) {
        events.add(millis(System.nanoTime() - EPOCH) + " ms " + what);
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** The channel this client subscribes. */
    public String channel() {
        return channel;
    }

    /** Messages kept (duplicates discarded). */
    public int received() {
        synchronized (log) {
            return log.received();
        }
    }

    /** What {@link SequenceLog#verdict} says; call after {@link #close}. */
    public SequenceLog log() {
        return log;
    }

    public Duration longestOutage() {
        return Duration.ofNanos(longestOutageNanos);
    }

    /** How the longest outage divides: the reconnect delay and failed attempts, the upgrade, the subscribe. */
    public String longestOutageParts() {
        return longestOutageParts;
    }

    public int connections() {
        return connections;
    }

    public int goAways() {
        return goAways;
    }

    public boolean subscribed() {
        return subscribed;
    }

    /** A subscribe the server refused, if any. */
    public Throwable failure() {
        return failure;
    }

    private static String brief(List<Position> positions) {
        StringBuilder out = new StringBuilder("[");
        for (Position p : positions) {
            out.append(p.getPartition()).append('@').append(p.getOffset()).append(' ');
        }
        return out.append(']').toString();
    }

    @Override
    public String toString() {
        return "resuming-client-" + name + " " + channel + ": received " + received() + ", connections "
                + connections + ", goAways " + goAways + ", subscribed " + subscribed + ", last connection end: "
                + lastEnd + "\n  " + String.join("\n  ", events) + "\n  " + log.breaks();
    }

    /** Stops reconnecting and closes the connection; waits until it is closed. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        loop.submit(() -> current != null ? current.close() : null).awaitUninterruptibly(WsTestClient.WAIT.toMillis());
        Channel channel = current;
        if (channel != null) {
            channel.closeFuture().await(WsTestClient.WAIT.toMillis());
        }
    }

    /**
     * Waits until client {@code i} has received {@code expected.applyAsInt(i)} records, for every client; on
     * timeout, fails naming each client that is short and how its last connection ended.
     */
    public static void awaitReceived(List<ResumingClient> clients, IntUnaryOperator expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + WsTestClient.WAIT.toNanos();
        while (true) {
            List<String> short_ = new ArrayList<>();
            for (int i = 0; i < clients.size(); i++) {
                if (clients.get(i).received() < expected.applyAsInt(i)) {
                    short_.add(clients.get(i) + " of " + expected.applyAsInt(i));
                }
            }
            if (short_.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(short_.size() + " clients did not receive every record, e.g.:\n"
                        + String.join("\n", short_.subList(0, Math.min(10, short_.size()))));
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits until {@code condition} holds for every client; on timeout, fails with how many it does not hold for
     * and the story of the first few of them.
     */
    public static void awaitAll(List<ResumingClient> clients, String what, Predicate<ResumingClient> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + WsTestClient.WAIT.toNanos();
        while (!clients.stream().allMatch(condition)) {
            if (System.nanoTime() > deadline) {
                List<String> behind = clients.stream().filter(condition.negate()).map(ResumingClient::toString)
                        .toList();
                throw new AssertionError("timed out waiting for: " + what + "; " + behind.size()
                        + " clients not there, e.g.:\n" + String.join("\n", behind.subList(0, Math.min(5, behind.size()))));
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits until every client has received {@code more} records beyond what it had; a client of one key of the
     * producer's twelve, a twelfth of that (at least one): soak runs at low rates give a key few records.
     */
    public static void awaitProgress(List<ResumingClient> clients, int more) throws InterruptedException {
        Map<ResumingClient, Integer> before = new IdentityHashMap<>();
        clients.forEach(client -> before.put(client, client.received()));
        awaitAll(clients, "clients receive " + more + " more records (one-key clients fewer)",
                client -> client.received() >= before.get(client)
                        + (client.channel().contains("/") ? Math.max(1, more / 12) : more));
    }

    /** Stops every client, then waits for them. */
    public static void closeAll(List<ResumingClient> clients) throws InterruptedException {
        for (ResumingClient client : clients) {
            client.running = false;
        }
        for (ResumingClient client : clients) {
            client.close();
        }
    }
}
