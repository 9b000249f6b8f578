package io.fanwire.gateway.transport;

import io.fanwire.gateway.config.ConfigException;
import io.fanwire.gateway.config.GatewayConfig.Transport;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;

/**
 * The socket transport: native epoll on Linux when it loads, Java NIO otherwise (or when configured).
 * Immutable; any thread.
 */
public record Transports(boolean epoll) {

    /** Resolves {@code choice}; {@code EPOLL} fails when the native transport cannot load here. */
    public static Transports choose(Transport choice) {
        return switch (choice) {
            case AUTO -> new Transports(Epoll.isAvailable());
            case NIO -> new Transports(false);
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new ConfigException("transport=epoll, but the native epoll transport is not available: "
                            + Epoll.unavailabilityCause());
                }
                yield new Transports(true);
            }
        };
    }

    /** A group of {@code threads} event loops (0: one per available processor). */
    public EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory handler = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(name, true), handler);
    }

    public Class<? extends ServerChannel> serverChannel() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public String name() {
        return epoll ? "epoll" : "nio";
    }

    /** The loops of {@code group}, in iteration order. */
    public static List<EventLoop> loopsOf(EventLoopGroup group) {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
        return loops;
    }
}
