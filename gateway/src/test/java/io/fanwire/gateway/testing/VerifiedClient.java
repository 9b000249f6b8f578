package io.fanwire.gateway.testing;

import io.fanwire.client.ClientState;
import io.fanwire.client.FanwireClient;
import io.fanwire.client.FanwireException;
import io.fanwire.client.FanwireMessage;
import io.fanwire.client.Format;
import io.fanwire.client.Gap;
import io.fanwire.client.SubscribeOptions;
import io.fanwire.client.Subscription;
import io.fanwire.client.SubscriptionListener;
import io.fanwire.client.SubscriptionState;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.IntUnaryOperator;
import java.util.function.Predicate;

/**
 * The product client ({@link FanwireClient}, module {@code clients/java}) with one subscription, checked by a
 * <em>strict</em> {@link SequenceLog}: every record the client hands to the application is fed to it, so a
 * duplicate or a record out of order is a failure of the client, not something the test discards. Records the
 * longest time its subscription was not active after the first time, and where that time went.
 *
 * <p>The client runs on the client library's shared event loops, like the thousands of clients of a soak run;
 * the log is fed there and read by the test under its lock.
 */
public final class VerifiedClient implements AutoCloseable {

    private static final long EPOCH = System.nanoTime();
    private static final int MAX_EVENTS = 200;

    private final String name;
    private final String channel;
    private final SequenceLog log = SequenceLog.strict();
    /** What happened (states, errors, gaps): a failing test prints it. */
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final FanwireClient client;
    private final Subscription subscription;
    private volatile long longestOutageNanos;
    private volatile String longestOutageParts = "";

    // Event loop only.
    private long outageStart;
    private long outageAttempts;
    private long openedAt;

    public VerifiedClient(String name, String channel, List<URI> nodes, boolean proto) {
        this(name, channel, nodes, proto, Map.of());
    }

    /** A client that resumes from {@code from} on its first connection too (offset -1: from the beginning). */
    public VerifiedClient(String name, String channel, List<URI> nodes, boolean proto, Map<Integer, Long> from) {
        this.name = name;
        this.channel = channel;
        client = FanwireClient.builder(nodes.stream().map(URI::toString).toList())
                .format(proto ? Format.PROTO : Format.JSON)
                .onState(this::onState)
                .onError(this::onError)
                .build();
        subscription = client.subscribe(channel, SubscribeOptions.builder().resumeFrom(from).build(), new Listener());
    }

    private final class Listener implements SubscriptionListener {
        @Override
        public void onMessage(FanwireMessage message) {
            synchronized (log) {
                log.accept(message.partition(), message.offset(), message.payloadString());
            }
        }

        @Override
        public void onGap(Gap gap) {
            synchronized (log) {
                log.gap(io.fanwire.protocol.v1.Gap.newBuilder().setChannel(gap.channel())
                        .setPartition(gap.partition()).setFromOffset(gap.fromOffset()).setToOffset(gap.toOffset())
                        .setReason(gap.reason()).build());
            }
            event("gap " + gap);
        }

        @Override
        public void onStateChange(SubscriptionState state) {
            long now = System.nanoTime();
            Subscription sub = subscription;
            event("subscription " + state + (sub != null ? " " + sub.positions() : ""));
            if (state == SubscriptionState.RESUMING) {
                outageStart = now;
                outageAttempts = client.stats().attempts();
            } else if (state == SubscriptionState.ACTIVE && outageStart != 0) {
                long outage = now - outageStart;
                if (outage > longestOutageNanos) {
                    longestOutageNanos = outage;
                    longestOutageParts = String.format("%d ms: open %d ms in after %d attempts, subscribed %d ms "
                            + "after open", millis(outage), millis(openedAt - outageStart),
                            client.stats().attempts() - outageAttempts, millis(now - openedAt));
                }
                outageStart = 0;
            }
        }
    }

    private Subscription subscription() {
        return subscription;
    }

    private void onState(ClientState state) {
        if (state == ClientState.OPEN) {
            openedAt = System.nanoTime();
        }
        event("client " + state);
    }

    private void onError(FanwireException error) {
        event("error " + error.getMessage());
    }

    private void event(String what) {
        if (events.size() < MAX_EVENTS) {
            events.add(millis(System.nanoTime() - EPOCH) + " ms " + what);
        }
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    public String channel() {
        return channel;
    }

    public FanwireClient client() {
        return client;
    }

    public Subscription subscriptionOfClient() {
        return subscription;
    }

    /** Records handed to the application. */
    public int received() {
        synchronized (log) {
            return log.received();
        }
    }

    /** The strict verifier; read after {@link #close}. */
    public SequenceLog log() {
        return log;
    }

    public Duration longestOutage() {
        return Duration.ofNanos(longestOutageNanos);
    }

    public String longestOutageParts() {
        return longestOutageParts;
    }

    /** Connections that reached OPEN. */
    public long connections() {
        return client.stats().connections();
    }

    public long goAways() {
        return client.stats().goAways();
    }

    public boolean subscribed() {
        return subscription.state() == SubscriptionState.ACTIVE;
    }

    /** Why the gateway refused the subscription, or null. */
    public Throwable failure() {
        return subscription.failure();
    }

    @Override
    public String toString() {
        return "client-" + name + " " + channel + ": received " + received() + ", " + client.stats() + ", "
                + subscription + "\n  " + String.join("\n  ", events) + "\n  " + log.breaks();
    }

    @Override
    public void close() {
        client.close();
    }

    /**
     * Waits until client {@code i} has received {@code expected.applyAsInt(i)} records, for every client; on
     * timeout, fails naming each client that is short.
     */
    public static void awaitReceived(List<VerifiedClient> clients, IntUnaryOperator expected)
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

    /** Waits until {@code condition} holds for every client; on timeout, fails with the story of a few. */
    public static void awaitAll(List<VerifiedClient> clients, String what, Predicate<VerifiedClient> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + WsTestClient.WAIT.toNanos();
        while (!clients.stream().allMatch(condition)) {
            if (System.nanoTime() > deadline) {
                List<String> behind = clients.stream().filter(condition.negate()).map(VerifiedClient::toString)
                        .toList();
                throw new AssertionError("timed out waiting for: " + what + "; " + behind.size()
                        + " clients not there, e.g.:\n" + String.join("\n", behind.subList(0, Math.min(5, behind.size()))));
            }
            Thread.sleep(20);
        }
    }

    /**
     * Waits until every client has received {@code more} records beyond what it had; a client of one key of the
     * producer's twelve, a twelfth of that (at least one).
     */
    public static void awaitProgress(List<VerifiedClient> clients, int more) throws InterruptedException {
        Map<VerifiedClient, Integer> before = new IdentityHashMap<>();
        clients.forEach(client -> before.put(client, client.received()));
        awaitAll(clients, "clients receive " + more + " more records (one-key clients fewer)",
                client -> client.received() >= before.get(client)
                        + (client.channel().contains("/") ? Math.max(1, more / 12) : more));
    }

    /** What this client is owed of {@code sent}: all of it, or on a key's channel (TOPIC/KEY) that key's records. */
    public Map<String, Integer> expectedOf(Map<String, Integer> sent) {
        int slash = channel.indexOf('/');
        if (slash < 0) {
            return sent;
        }
        String key = channel.substring(slash + 1);
        return Map.of(key, sent.getOrDefault(key, 0));
    }

    /**
     * Once the producer has stopped: waits until every client has every record it is owed ({@link #expectedOf}),
     * closes them, and fails unless each was handed each of those records once, in order per key.
     */
    public static void assertEveryRecordOnce(List<VerifiedClient> clients, Map<String, Integer> sent)
            throws InterruptedException {
        awaitReceived(clients, i -> clients.get(i).expectedOf(sent).values().stream().mapToInt(Integer::intValue).sum());
        closeAll(clients);
        for (int i = 0; i < clients.size(); i++) {
            VerifiedClient client = clients.get(i);
            String verdict = client.log().verdict(client.expectedOf(sent));
            if (verdict != null) {
                throw new AssertionError("client " + i + ": " + verdict);
            }
            if (client.log().duplicates() != 0) {
                throw new AssertionError("client " + i + " handed records twice: " + client.log().duplicates());
            }
        }
    }

    /** Closes every client (each with close 1000), in parallel. */
    public static void closeAll(List<VerifiedClient> clients) {
        clients.stream().map(c -> c.client.closeAsync()).toList().forEach(f -> {
            try {
                f.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // reported by the test's own checks
            }
        });
    }
}
