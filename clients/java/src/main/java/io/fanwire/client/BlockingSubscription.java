package io.fanwire.client;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Subscription} read by a thread of the application: the event loop queues each message (without
 * bound: a reader that falls far behind holds them all in memory) and {@link #take()} waits for the next.
 * {@link #iterator()} yields messages until the subscription ends. Gaps are kept in {@link #gaps()}.
 *
 * <pre>{@code
 * try (BlockingSubscription sub = client.subscribeBlocking("quotes/AAPL", SubscribeOptions.DEFAULT)) {
 *     for (FanwireMessage m : sub) {
 *         System.out.println(m.offset() + " " + m.data());
 *     }
 * }
 * }</pre>
 */
public final class BlockingSubscription implements AutoCloseable, Iterable<FanwireMessage> {

    private static final Object END = new Object();

    private final Subscription subscription;
    private final Handoff handoff;

    BlockingSubscription(Subscription subscription, Handoff handoff) {
        this.subscription = subscription;
        this.handoff = handoff;
    }

    public Subscription subscription() {
        return subscription;
    }

    /**
     * The next message, waiting for it; throws the subscription's {@link FanwireException} when it failed or
     * ended (unsubscribed: {@code CLOSED}) and every queued message was taken.
     */
    public FanwireMessage take() throws InterruptedException {
        return unwrap(handoff.queue.take());
    }

    /** The next message, or null if none came within {@code timeout}; throws as {@link #take()}. */
    public FanwireMessage poll(Duration timeout) throws InterruptedException {
        Object next = handoff.queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        return next == null ? null : unwrap(next);
    }

    private FanwireMessage unwrap(Object next) {
        if (next instanceof FanwireMessage m) {
            return m;
        }
        handoff.queue.offer(END); // later callers see the end too
        FanwireException failure = subscription.failure();
        throw failure != null ? failure : new NotConnectedException("CLOSED",
                "the subscription to " + subscription.channel() + " ended");
    }

    /** Messages queued and not taken yet. */
    public int queued() {
        return (int) handoff.queue.stream().filter(o -> o instanceof FanwireMessage).count();
    }

    /** Every gap so far. */
    public List<Gap> gaps() {
        return List.copyOf(handoff.gaps);
    }

    /** Messages until the subscription ends; {@code next()} waits. An interrupt ends the iteration. */
    @Override
    public Iterator<FanwireMessage> iterator() {
        return new Iterator<>() {
            private FanwireMessage next;

            @Override
            public boolean hasNext() {
                if (next != null) {
                    return true;
                }
                try {
                    next = take();
                    return true;
                } catch (FanwireException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }

            @Override
            public FanwireMessage next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                FanwireMessage m = next;
                next = null;
                return m;
            }
        };
    }

    /** Unsubscribes. */
    @Override
    public void close() {
        subscription.unsubscribe();
    }

    /** The listener that queues, on the event loop. */
    static final class Handoff implements SubscriptionListener {
        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        final List<Gap> gaps = new CopyOnWriteArrayList<>();

        @Override
        public void onMessage(FanwireMessage message) {
            queue.offer(message);
        }

        @Override
        public void onGap(Gap gap) {
            gaps.add(gap);
        }

        @Override
        public void onStateChange(SubscriptionState state) {
            if (state == SubscriptionState.FAILED || state == SubscriptionState.CLOSED) {
                queue.offer(END);
            }
        }
    }
}
