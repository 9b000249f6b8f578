package io.fanwire.benchmarks.e2e;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * One client-swarm process of the end-to-end benchmark: opens {@code --clients} WebSocket connections to
 * {@code --target}, spread over the local source addresses {@code --sources} (at most about 28,000 ports
 * per source/destination pair on Linux), subscribes each per {@link Subscriptions} and {@link SwarmConfig},
 * prints {@code READY}, then obeys commands on stdin: {@code RESET} (start a measurement window), {@code REPORT}
 * (print one line {@code REPORT {json}} with frames, bytes, latency histogram and disconnects since the last
 * RESET), {@code TIMELINE} (print one line {@code TIMELINE {json}} with the per-second buckets since the first
 * connection opened, with {@code --timeline true}) and {@code QUIT}. Without {@code --target} it starts, prints
 * {@code WAITING} and connects only on {@code CONNECT host:port [partition:offset,...]} (the optional positions to
 * resume every subscription from): a process started while the server is still starting connects the moment
 * it is told to. Either way it prints {@code CONNECTING NANOS}, the {@link System#nanoTime()} at which its first
 * connection starts (the timeline's origin). It also quits when stdin closes, so it never outlives the runner.
 * {@code --proxy-protocol true} starts each connection with a PROXY protocol v2 header, for nodes behind a
 * balancer that sends one. A server that refuses what the configuration requires (an offered extension) ends
 * the process at once with {@code FAILED reason} and exit status 2.
 *
 * <p>The main thread connects and reads commands; the connections live on the event loops.
 */
public final class SwarmMain {

    private static final int MAX_CONNECTS_IN_FLIGHT = 256;

    private SwarmMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = Args.parse(args);
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String path = opts.getOrDefault("path", "/ws");
        int clients = Integer.parseInt(opts.get("clients"));
        int firstClient = Integer.parseInt(opts.getOrDefault("first-client", "0"));
        String[] sources = opts.getOrDefault("sources", "127.0.0.1").split(",");
        int threads = Integer.parseInt(opts.getOrDefault("threads", "1"));
        boolean proxyProtocol = Boolean.parseBoolean(opts.getOrDefault("proxy-protocol", "false"));
        Subscriptions subscriptions = Subscriptions.parse(opts.get("subscribe"));
        Consumer<String> onFatal = reason -> {
            System.out.println("FAILED " + reason);
            System.out.flush();
            // halt, not exit: this runs on an event loop, which exit's shutdown would wait for.
            Runtime.getRuntime().halt(2);
        };

        SwarmStats stats = new SwarmStats();
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        CountDownLatch subscribed = new CountDownLatch(clients);
        ConcurrentLinkedQueue<Channel> open = new ConcurrentLinkedQueue<>();
        Semaphore inFlight = new Semaphore(MAX_CONNECTS_IN_FLIGHT);
        try {
            SwarmConfig flagged = SwarmConfig.parse(opts);
            String targetSpec = opts.get("target");
            if (targetSpec == null) {
                // Waiting: the event loops are up already, so the connections start the moment CONNECT comes.
                System.out.println("WAITING");
                System.out.flush();
                for (String command; targetSpec == null && (command = commands.readLine()) != null; ) {
                    // CONNECT host:port [partition:offset,...]: the positions to resume from are known only now.
                    String[] words = command.trim().split(" ");
                    if (words[0].equals("CONNECT") && words.length >= 2) {
                        targetSpec = words[1];
                        if (words.length > 2) {
                            flagged = flagged.withResume(SwarmConfig.positions(words[2]));
                        }
                    }
                }
                if (targetSpec == null) {
                    return;
                }
            }
            SwarmConfig config = flagged;
            String host = targetSpec.split(":")[0];
            int port = Integer.parseInt(targetSpec.split(":")[1]);
            long origin = System.nanoTime();
            if (config.timeline()) {
                stats.startTimeline(origin);
            }
            System.out.println("CONNECTING " + origin);
            System.out.flush();
            for (int i = 0; i < clients; i++) {
                int client = firstClient + i;
                List<String> wanted = subscriptions.channelsFor(client);
                Bootstrap bootstrap = new Bootstrap().group(group)
                        .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                // A connection holds an in-flight slot until it is subscribed or closed,
                                // whichever comes first: one the server closes early must not keep its slot.
                                AtomicBoolean settled = new AtomicBoolean();
                                ch.closeFuture().addListener(f -> {
                                    if (settled.compareAndSet(false, true)) {
                                        inFlight.release();
                                        stats.error(new IOException("closed before it was subscribed"));
                                    }
                                });
                                if (proxyProtocol) {
                                    ch.pipeline().addLast(HAProxyMessageEncoder.INSTANCE, new ProxyHeaderSender());
                                }
                                ch.pipeline().addLast(new SwarmClientHandler(host, path, wanted, config, stats,
                                        () -> {
                                            if (settled.compareAndSet(false, true)) {
                                                inFlight.release();
                                                stats.subscribed(System.nanoTime());
                                                subscribed.countDown();
                                            }
                                        }, onFatal));
                            }
                        });
                inFlight.acquire();
                ChannelFuture connect = bootstrap.connect(new InetSocketAddress(host, port),
                        new InetSocketAddress(sources[i % sources.length], 0));
                connect.addListener(f -> {
                    if (f.isSuccess()) {
                        open.add(connect.channel());
                    } else {
                        inFlight.release();
                        stats.error(f.cause());
                    }
                });
            }
            if (!subscribed.await(120, TimeUnit.SECONDS)) {
                System.out.println("FAILED subscribed=" + (clients - subscribed.getCount()) + " of " + clients
                        + " errors=" + stats.errors() + " last=" + stats.lastError());
                return;
            }
            System.out.println("READY clients=" + clients);
            System.out.flush();

            for (String command; (command = commands.readLine()) != null; ) {
                switch (command.trim()) {
                    case "RESET" -> {
                        stats.reset();
                        System.out.println("RESET");
                    }
                    case "REPORT" -> System.out.println("REPORT " + report(stats));
                    case "TIMELINE" -> System.out.println("TIMELINE " + timeline(stats));
                    case "QUIT" -> {
                        return;
                    }
                    default -> System.out.println("ERROR unknown command " + command);
                }
                System.out.flush();
            }
        } finally {
            for (Channel channel : open) {
                channel.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static String report(SwarmStats stats) {
        long frames = stats.frames();
        long wireBytes = stats.wireBytes();
        long messageBytes = stats.messageBytes();
        Histogram histogram = stats.snapshot();
        return "{\"frames\":" + frames + ",\"disconnects\":" + stats.disconnects()
                + ",\"closedByServer\":" + stats.closedByServerCount() + ",\"errors\":" + stats.errors()
                + ",\"wireBytes\":" + wireBytes + ",\"messageBytes\":" + messageBytes
                + ",\"histogram\":\"" + HistogramText.encode(histogram) + "\"}";
    }

    private static String timeline(SwarmStats stats) {
        SwarmTimeline timeline = stats.timeline();
        if (timeline == null) {
            return "{\"origin\":0,\"buckets\":[],\"subscribed\":[]}";
        }
        List<String> buckets = timeline.encoded();
        return "{\"origin\":" + timeline.originNanos() + ",\"buckets\":["
                + String.join(",", buckets.stream().map(b -> "\"" + b + "\"").toList()) + "],\"subscribed\":["
                + String.join(",", timeline.subscribedPerSecond(buckets.size()).stream().map(String::valueOf).toList())
                + "]}";
    }

    /** {@code --key value} pairs. */
    static final class Args {
        static Map<String, String> parse(String[] args) {
            Map<String, String> out = new HashMap<>();
            for (int i = 0; i + 1 < args.length; i += 2) {
                out.put(args[i].replaceFirst("^--", ""), args[i + 1]);
            }
            return out;
        }
    }
}
