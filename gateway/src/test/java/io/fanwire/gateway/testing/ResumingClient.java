package io.fanwire.gateway.testing;

import io.fanwire.protocol.v1.ChannelPositions;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntUnaryOperator;
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
    private static final long EPOCH = System.nanoTime();

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
    /** Where the longest outage went: the reconnect delay, failed attempts, the upgrade and the subscribe. */
    private volatile String longestOutageParts = "";
    private volatile int connections;
    private volatile int goAways;
    private volatile boolean subscribed;
    /** How the last connection ended, for a failing test's message. */
    private volatile String lastEnd = "still on its first connection";
    /** What happened to each connection (resume positions, replies, GoAways): a failing test prints it. */
    private final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();

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
        int failedAttempts = 0;
        while (running) {
            long attemptStart = System.nanoTime();
            try (WsTestClient client = WsTestClient.connect(http, nodes.get(),
                    proto ? "fanwire.v1.proto" : "fanwire.v1.json")) {
                long opened = System.nanoTime();
                List<Position> positions;
                synchronized (log) {
                    positions = log.positions();
                }
                event("connect " + nodes.get().getPort() + " resume_from " + brief(positions));
                Reply reply = client.subscribe(Subscribe.newBuilder().setChannel(channel)
                        .addAllResumeFrom(positions).build());
                if (!reply.hasSubscribed()) {
                    throw new AssertionError("subscribe " + channel + " refused: " + reply);
                }
                event("subscribed " + brief(reply.getSubscribed().getPositionsList()));
                synchronized (log) {
                    log.adopt(reply.getSubscribed().getPositionsList());
                }
                long subscribedAt = System.nanoTime();
                if (connections > 0 && subscribedAt - outageStart > longestOutageNanos) {
                    longestOutageNanos = subscribedAt - outageStart;
                    longestOutageParts = String.format("%d ms: last attempt began %d ms in after %d failed, "
                            + "upgrade %d ms, subscribe %d ms", millis(subscribedAt - outageStart),
                            millis(attemptStart - outageStart), failedAttempts, millis(opened - attemptStart),
                            millis(subscribedAt - opened));
                }
                failedAttempts = 0;
                connections++;
                subscribed = true;
                StringBuilder firsts = new StringBuilder("first frames:");
                int traced = 0;
                while (running) {
                    ServerFrame frame = client.poll(RETRY);
                    if (frame != null && traced < 20) {
                        traced++;
                        firsts.append(' ').append(frame.hasMessage() ? frame.getMessage().getPartition() + "@"
                                + frame.getMessage().getOffset() : frame.getKindCase().toString());
                        if (traced == 20 || frame.hasGoAway()) {
                            event(firsts.toString());
                        }
                    }
                    if (frame == null) {
                        if (client.isClosed()) {
                            lastEnd = "closed " + client.awaitClose() + " " + client.closeReason();
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
                                    event("GoAway " + brief(cp.getPositionsList()) + " having "
                                            + brief(log.positions()));
                                    log.adopt(cp.getPositionsList());
                                }
                            }
                            goAways++;
                            lastEnd = "GoAway " + frame.getGoAway().getReason();
                            reconnectDelayMs = ThreadLocalRandom.current().nextLong(
                                    frame.getGoAway().getReconnectWithinMs() + 1);
                            break;
                        }
                    }
                }
            } catch (Exception | AssertionError e) {
                failedAttempts++;
                lastEnd = e.toString();
                event("failed: " + e);
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

    /** One line of {@link #events}, stamped with the milliseconds since the first client started. */
    private void event(String what) {
        events.add(millis(System.nanoTime() - EPOCH) + " ms " + what);
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

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
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

    private static String brief(List<Position> positions) {
        StringBuilder out = new StringBuilder("[");
        for (Position p : positions) {
            out.append(p.getPartition()).append('@').append(p.getOffset()).append(' ');
        }
        return out.append(']').toString();
    }

    @Override
    public String toString() {
        return thread.getName() + " " + channel + ": received " + received() + ", connections " + connections
                + ", goAways " + goAways + ", subscribed " + subscribed + ", last connection end: " + lastEnd
                + "\n  " + String.join("\n  ", events) + "\n  " + log.breaks();
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
    public static void awaitAll(List<ResumingClient> clients, String what,
            java.util.function.Predicate<ResumingClient> condition) throws InterruptedException {
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

    /** Stops every client, then waits for them: a thousand soak clients stop in one poll interval, not in a thousand. */
    public static void closeAll(List<ResumingClient> clients) throws InterruptedException {
        for (ResumingClient client : clients) {
            client.running = false;
        }
        for (ResumingClient client : clients) {
            client.close();
        }
    }
}
