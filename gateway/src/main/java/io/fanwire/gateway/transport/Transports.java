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
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;

/**
 * The socket transport: native epoll on Linux when it loads, io_uring when configured, Java NIO otherwise (or when
 * configured). Immutable; any thread.
 */
public record Transports(Kind kind) {

    /** Submission queue entries per io_uring event loop: Netty's default. */
    private static final int IO_URING_RING_SIZE = 4096;
    /**
     * Completion queue entries per io_uring event loop. Netty's default, twice the ring, overflowed ("CompletionQueue
     * overflow detected") with 10,000 connections on two loops: each connection keeps a receive and a poll in
     * flight, and a drain's writes complete together. 64 Ki entries of 16 bytes are 1 MiB per loop. This ended
     * the overflow but not the stall seen with it: in the end-to-end benchmark's 10,000-client firehose every
     * connection still stalls on io_uring (it works at 1,000), not yet explained, which is one reason io_uring
     * is not the default (benchmarks/README.md).
     */
    private static final int IO_URING_COMPLETION_QUEUE_SIZE = 65_536;

    /** The transports this node can run on. */
    public enum Kind { EPOLL, IO_URING, NIO }

    /**
     * Resolves {@code choice}; {@code EPOLL} and {@code IO_URING} fail when their native transport cannot load here
     * (io_uring also when the kernel forbids it, e.g. {@code kernel.io_uring_disabled} or a container's seccomp
     * profile).
     */
    public static Transports choose(Transport choice) {
        return switch (choice) {
            case AUTO -> new Transports(Epoll.isAvailable() ? Kind.EPOLL : Kind.NIO);
            case NIO -> new Transports(Kind.NIO);
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new ConfigException("transport=epoll, but the native epoll transport is not available: "
                            + Epoll.unavailabilityCause());
                }
                yield new Transports(Kind.EPOLL);
            }
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw new ConfigException("transport=io_uring, but io_uring is not available: "
                            + IoUring.unavailabilityCause());
                }
                yield new Transports(Kind.IO_URING);
            }
        };
    }

    /** A group of {@code threads} event loops (0: one per available processor). */
    public EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory handler = switch (kind) {
            case EPOLL -> EpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory(new IoUringIoHandlerConfig()
                    .setRingSize(IO_URING_RING_SIZE).setCqSize(IO_URING_COMPLETION_QUEUE_SIZE));
            case NIO -> NioIoHandler.newFactory();
        };
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(name, true), handler);
    }

    public Class<? extends ServerChannel> serverChannel() {
        return switch (kind) {
            case EPOLL -> EpollServerSocketChannel.class;
            case IO_URING -> IoUringServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    public String name() {
        return switch (kind) {
            case EPOLL -> "epoll";
            case IO_URING -> "io_uring";
            case NIO -> "nio";
        };
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
