package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.config.GatewayConfig;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Publish;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Publishing never holds up an event loop: a publish to a topic whose metadata Kafka cannot give (the topic does
 * not exist) answers {@code UNAVAILABLE} within {@code publish.timeout.ms}, while a client on the same event loop
 * ({@code io.threads=1}) keeps receiving records with no stall.
 */
class PublishIT {

    private static final long TIMEOUT_MS = 2_000;
    /** Records reach the bystander every 20 ms; a gap past this means its event loop stood still. */
    private static final long MAX_GAP_MS = 400;

    private final String live = "pub-live-" + UUID.randomUUID().toString().substring(0, 8);
    private final String missing = "pub-missing-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void publishToATopicWithoutMetadataDoesNotStallTheLoop() throws Exception {
        TestKafka.createTopic(live, 1);
        Map<String, String> raw = TestGateway.settings(List.of(live, missing));
        raw.put("io.threads", "1");
        raw.put("publish.enabled", "true");
        raw.put("publish.timeout.ms", String.valueOf(TIMEOUT_MS));
        // Not ready while a served topic is missing: that is the point; wait for the live topic instead.
        try (Gateway gateway = TestGateway.awaitServing(Gateway.start(GatewayConfig.from(raw)));
             WsTestClient bystander = WsTestClient.proto(TestGateway.wsUri(gateway));
             WsTestClient publisher = WsTestClient.json(TestGateway.wsUri(gateway))) {
            TestGateway.await("the live topic assigned", () -> {
                try {
                    return bystander.subscribe(Subscribe.newBuilder().setChannel(live).build()).getSubscribed()
                            .getPositionsCount() == 1 || unsubscribe(bystander);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong maxGapNanos = new AtomicLong();
            AtomicInteger received = new AtomicInteger();
            Thread producer = new Thread(() -> {
                for (int i = 0; running.get(); i++) {
                    TestKafka.produce(live, "k", "v" + i);
                    sleep(20);
                }
            }, "bystander-feed");
            Thread reader = new Thread(() -> {
                long last = 0;
                while (running.get()) {
                    ServerFrame frame = poll(bystander);
                    long now = System.nanoTime();
                    if (frame != null && frame.hasMessage()) {
                        if (received.incrementAndGet() > 5) {
                            maxGapNanos.accumulateAndGet(now - last, Math::max);
                        }
                        last = now;
                    }
                }
            }, "bystander-reader");
            producer.start();
            reader.start();
            try {
                TestGateway.await("the bystander receiving", () -> received.get() > 10);
                long startNanos = System.nanoTime();
                for (int id = 1; id <= 3; id++) {
                    publisher.send(ClientFrame.newBuilder().setId(id).setPublish(Publish.newBuilder()
                            .setChannel(missing + "/k").setPayload(ByteString.copyFromUtf8("x"))).build());
                }
                for (int id = 1; id <= 3; id++) {
                    Reply reply = publisher.awaitReply(id);
                    long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
                    assertTrue(reply.hasError(), reply.toString());
                    assertEquals("UNAVAILABLE", reply.getError().getCode(), reply.toString());
                    assertTrue(elapsedMs <= TIMEOUT_MS + 1_000, "publish " + id + " answered after " + elapsedMs
                            + " ms, publish.timeout.ms is " + TIMEOUT_MS);
                }
                int before = received.get();
                TestGateway.pause(Duration.ofMillis(500));
                assertTrue(received.get() > before, "the bystander still receives");
            } finally {
                running.set(false);
                producer.join(10_000);
                reader.join(10_000);
            }
            long maxGapMs = maxGapNanos.get() / 1_000_000;
            assertTrue(maxGapMs < MAX_GAP_MS, "the bystander on the same event loop waited " + maxGapMs
                    + " ms between records");
        }
    }

    private boolean unsubscribe(WsTestClient client) throws Exception {
        client.unsubscribe(live);
        return false;
    }

    private static ServerFrame poll(WsTestClient client) {
        try {
            return client.poll(Duration.ofMillis(100));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
