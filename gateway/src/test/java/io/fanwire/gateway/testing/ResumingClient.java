package io.fanwire.gateway.testing;

import io.fanwire.protocol.v1.ChannelPositions;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The loss-free reconnecting client of PROTOCOL.md §4.2, on a thread of its own: subscribes one channel,
 * keeps its positions in a {@link SequenceLog} that discards duplicates by offset, and whenever its connection
 * ends — a {@code GoAway} (whose positions it adopts), a close, a dead node — connects to the node
 * {@code nodes} names next (after a random delay up to {@code GoAway.reconnect_within_ms}) and resubscribes
 * with {@code resume_from}. Records the longest time it spent without a subscribed connection after its first.
 */
public final class ResumingClient implements AutoCloseable {

    private static final Duration RETRY = Duration.ofMillis(100);

    private final String channel;
    private final Supplier<URI> nodes;
    private final boolean proto;
    private final SequenceLog log = SequenceLog.discardingByOffset();
    /**
     * One HTTP client (and selector thread) for all of this client's connections: one per connection piles up
     * threads faster than GC frees them when a thousand soak clients reconnect.
     */
    private final HttpClient http = HttpClient.newHttpClient();
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean running = true;
    private volatile long longestOutageNanos;
    private volatile int connections;
    private volatile int goAways;
    private volatile boolean subscribed;

    public ResumingClient(String name, String channel, Supplier<URI> nodes, boolean proto) {
        this.channel = channel;
        this.nodes = nodes;
        this.proto = proto;
        this.thread = new Thread(this::run, "resuming-client-" + name);
        thread.start();
    }

    private void run() {
        long outageStart = System.nanoTime();
        long reconnectDelayMs = RETRY.toMillis();
        while (running) {
            try (WsTestClient client = WsTestClient.connect(http, nodes.get(),
                    proto ? "fanwire.v1.proto" : "fanwire.v1.json")) {
                List<Position> positions;
                synchronized (log) {
                    positions = log.positions();
                }
                Reply reply = client.subscribe(Subscribe.newBuilder().setChannel(channel)
                        .addAllResumeFrom(positions).build());
                if (!reply.hasSubscribed()) {
                    throw new AssertionError("subscribe " + channel + " refused: " + reply);
                }
                synchronized (log) {
                    log.adopt(reply.getSubscribed().getPositionsList());
                }
                if (connections > 0) {
                    longestOutageNanos = Math.max(longestOutageNanos, System.nanoTime() - outageStart);
                }
                connections++;
                subscribed = true;
                while (running) {
                    ServerFrame frame = client.poll(RETRY);
                    if (frame == null) {
                        if (client.isClosed()) {
                            break;
                        }
                        continue;
                    }
                    synchronized (log) {
                        if (frame.hasMessage()) {
                            log.accept(frame.getMessage());
                        } else if (frame.hasGap()) {
                            log.gap(frame.getGap());
                        } else if (frame.hasGoAway()) {
                            for (ChannelPositions cp : frame.getGoAway().getChannelsList()) {
                                if (cp.getChannel().equals(channel)) {
                                    log.adopt(cp.getPositionsList());
                                }
                            }
                            goAways++;
                            reconnectDelayMs = ThreadLocalRandom.current().nextLong(
                                    frame.getGoAway().getReconnectWithinMs() + 1);
                            break;
                        }
                    }
                }
            } catch (Exception | AssertionError e) {
                if (e instanceof AssertionError && String.valueOf(e.getMessage()).contains("refused")) {
                    failure.compareAndSet(null, e);
                }
            }
            if (subscribed) {
                subscribed = false;
                outageStart = System.nanoTime();
            }
            if (running) {
                try {
                    Thread.sleep(reconnectDelayMs);
                    reconnectDelayMs = RETRY.toMillis();
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
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
        return failure.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(WsTestClient.WAIT.toMillis());
    }
}
