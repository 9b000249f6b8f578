package io.fanwire.gateway.transport;

import io.fanwire.gateway.codec.FrameCompression;
import io.fanwire.gateway.config.GatewayConfig;
import io.fanwire.gateway.session.SessionHandler;
import io.fanwire.gateway.session.SessionServices;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client-facing listener: binds the WebSocket port and tracks the open WebSocket connections so that
 * shutdown can say goodbye to each (status 1001).
 *
 * <p>Buffers come from the pooled allocator. Each connection has write-buffer water marks; what happens
 * past them is the session's business ({@code ws.max.pending.bytes}). Any thread may call {@link #bind}
 * and {@link #close}.
 */
public final class WebSocketServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebSocketServer.class);
    private static final RecvByteBufAllocator RECEIVE_BUFFERS = new FixedRecvByteBufAllocator(2048);
    /** Shortest time between two log lines about failed accepts. */
    private static final Duration ACCEPT_WARNING_INTERVAL = Duration.ofSeconds(10);

    /**
     * Parameters of the listener.
     *
     * @param tls the TLS context (wss://), or null for plain TCP
     * @param proxyProtocol whether every connection starts with a PROXY protocol header ({@code ws.proxy.protocol})
     * @param compression permessage-deflate for the connections that offer it ({@code ws.compression})
     */
    public record Settings(String bindAddress, int port, String path, int maxFrameBytes,
                           int writeBufferLowBytes, int writeBufferHighBytes, int sendBufferBytes, SslContext tls,
                           boolean proxyProtocol, FrameCompression compression) {

        /** The listener's part of {@code config}; {@code tls} null for plain connections. */
        public static Settings from(GatewayConfig config, SslContext tls) {
            return new Settings(config.bindAddress(), config.port(), config.wsPath(), config.maxFrameBytes(),
                    config.writeBufferLowBytes(), config.writeBufferHighBytes(), config.sendBufferBytes(), tls,
                    config.proxyProtocol(), config.compression());
        }
    }

    private final Channel serverChannel;
    private final ChannelGroup connections;

    private WebSocketServer(Channel serverChannel, ChannelGroup connections) {
        this.serverChannel = serverChannel;
        this.connections = connections;
    }

    /** Binds the listener; connections are accepted on {@code acceptor} and served on {@code workers}. */
    public static WebSocketServer bind(Settings settings, Transports transports, EventLoopGroup acceptor,
                                       EventLoopGroup workers, SessionServices services) throws InterruptedException {
        WebSocketDecoderConfig decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(settings.maxFrameBytes())
                .expectMaskedFrames(true)
                .allowMaskMismatch(false)
                .allowExtensions(false)
                .closeOnProtocolViolation(true)
                .withUTF8Validator(false)
                .build();
        WebSocketSettings wsSettings = new WebSocketSettings(settings.path(), decoderConfig,
                services.limits().handshakeTimeout(), WebAssets.load(), settings.proxyProtocol(),
                new PermessageDeflate(settings.compression(), decoderConfig));
        ChannelGroup connections = new DefaultChannelGroup("websockets", GlobalEventExecutor.INSTANCE);
        int maxConnections = DescriptorBudget.connectionCap(services.limits().maxConnections(),
                DescriptorBudget.processLimit(), services.limits().descriptorReserve());
        services.metrics().connectionCapacity(maxConnections);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, workers)
                .channel(transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(new AcceptErrorHandler(services.metrics(),
                        new WarningRateLimiter(ACCEPT_WARNING_INTERVAL, System::nanoTime)))
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // One allocator for all connections (the default makes one per connection, with an adaptive
                // size guess each): clients send small frames, and larger ones simply take more reads.
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, RECEIVE_BUFFERS)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(settings.writeBufferLowBytes(), settings.writeBufferHighBytes()))
                .childHandler(new GatewayChannelInitializer(wsSettings, settings.tls(), services, connections,
                        new ConnectionLimitHandler(new ConnectionCounts(maxConnections,
                                services.limits().maxConnectionsPerAddress()), services.metrics())));
        if (settings.sendBufferBytes() > 0) {
            bootstrap.childOption(ChannelOption.SO_SNDBUF, settings.sendBufferBytes());
        }
        Channel channel = bootstrap.bind(settings.bindAddress(), settings.port()).sync().channel();
        WebSocketServer server = new WebSocketServer(channel, connections);
        log.info("WebSocket listener on {} (path {}, transport {}{})", channel.localAddress(), settings.path(),
                transports.name(), settings.proxyProtocol() ? ", PROXY protocol header required" : "");
        return server;
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Open WebSocket connections. */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Bytes queued in the connections' outbound buffers (written, not yet taken by the kernel). Any thread: each
     * buffer's total is read without locking, so the sum is a snapshot, not an atomic one.
     */
    public long outboundPendingBytes() {
        long total = 0;
        for (Channel channel : connections) {
            ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
            if (pending != null) {
                total += pending.totalPendingWriteBytes();
            }
        }
        return total;
    }

    /** Stops accepting new connections. */
    public void stopAccepting() {
        serverChannel.close().syncUninterruptibly();
    }

    /** Asks every open connection to close with status 1001 and waits up to {@code grace} for them to go. */
    public void closeConnections(Duration grace) {
        closeConnections(SessionHandler.SHUTDOWN, grace);
    }

    /**
     * Fires {@code event} (a {@code SessionHandler} user event that ends the connection, such as
     * {@code SessionHandler.SHUTDOWN} or a {@code Drain}) on every open connection, waits up to {@code wait} for
     * them to close, then closes those that remain.
     */
    public void closeConnections(Object event, Duration wait) {
        for (Channel channel : connections) {
            channel.pipeline().fireUserEventTriggered(event);
        }
        if (!connections.newCloseFuture().awaitUninterruptibly(wait.toMillis())) {
            connections.close().awaitUninterruptibly(Math.max(1_000, wait.toMillis()));
        }
    }

    @Override
    public void close() {
        stopAccepting();
        closeConnections(Duration.ofSeconds(5));
    }
}
