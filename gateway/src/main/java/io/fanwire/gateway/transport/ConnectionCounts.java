package io.fanwire.gateway.transport;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Open TCP connections of the WebSocket listener, in total and per source address, against
 * {@code ws.max.connections} and {@code ws.max.connections.per.address}.
 *
 * <p>Any thread, lock-free on the common path: every event loop acquires and releases here, once per
 * connection (never per frame). A per-address counter that drops to zero is retired (set to -1) and removed,
 * so the map holds only addresses with open connections; a thread that finds a retired counter retries.
 */
final class ConnectionCounts {

    /** Why {@link #acquire} refused. */
    enum Refusal { NONE, TOTAL, PER_ADDRESS }

    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();

    ConnectionCounts(int maxTotal, int maxPerAddress) {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    /** Counts a new connection from {@code address}, or refuses it (and counts nothing). */
    Refusal acquire(InetAddress address) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return Refusal.TOTAL;
        }
        while (true) {
            AtomicInteger count = perAddress.computeIfAbsent(address, a -> new AtomicInteger());
            int n = count.get();
            if (n < 0) {
                perAddress.remove(address, count);
                continue;
            }
            if (n >= maxPerAddress) {
                total.decrementAndGet();
                return Refusal.PER_ADDRESS;
            }
            if (count.compareAndSet(n, n + 1)) {
                return Refusal.NONE;
            }
        }
    }

    /** Forgets a connection that {@link #acquire} counted. */
    void release(InetAddress address) {
        total.decrementAndGet();
        AtomicInteger count = perAddress.get(address);
        if (count != null && count.decrementAndGet() == 0 && count.compareAndSet(0, -1)) {
            perAddress.remove(address, count);
        }
    }

    int total() {
        return total.get();
    }

    /** Source addresses with open connections. */
    int addresses() {
        return perAddress.size();
    }
}
