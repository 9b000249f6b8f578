package io.fanwire.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConnectionCountsTest {

    @Test
    void limitsInTotalAndPerAddressAndForgetsClosedConnections() throws Exception {
        ConnectionCounts counts = new ConnectionCounts(3, 2);
        InetAddress a = InetAddress.getByName("10.0.0.1");
        InetAddress b = InetAddress.getByName("10.0.0.2");
        InetAddress c = InetAddress.getByName("10.0.0.3");
        assertEquals(ConnectionCounts.Refusal.NONE, counts.acquire(a));
        assertEquals(ConnectionCounts.Refusal.NONE, counts.acquire(a));
        assertEquals(ConnectionCounts.Refusal.PER_ADDRESS, counts.acquire(a));
        assertEquals(ConnectionCounts.Refusal.NONE, counts.acquire(b));
        assertEquals(ConnectionCounts.Refusal.TOTAL, counts.acquire(c));
        assertEquals(3, counts.total());
        counts.release(a);
        counts.release(a);
        assertEquals(1, counts.addresses(), "an address without connections is forgotten");
        assertEquals(ConnectionCounts.Refusal.NONE, counts.acquire(c));
        assertEquals(ConnectionCounts.Refusal.NONE, counts.acquire(a));
    }

    @Test
    void concurrentAcquireAndReleaseKeepExactCounts() throws Exception {
        ConnectionCounts counts = new ConnectionCounts(1_000_000, 1_000_000);
        InetAddress a = InetAddress.getByName("10.0.0.1");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 50_000; i++) {
                        counts.acquire(a);
                        counts.release(a);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, counts.total());
        assertEquals(0, counts.addresses());
        assertEquals(ConnectionCounts.Refusal.NONE, counts.acquire(a));
        assertEquals(1, counts.addresses());
    }
}
