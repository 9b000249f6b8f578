package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.WsTestClient;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading is disconnected once {@code ws.max.pending.bytes} are queued for it, so its
 * memory stays bounded, while every other client keeps receiving everything.
 */
class SlowConsumerIT {

    @Test
    void frozenClientIsCutOffAndOthersReceiveEverything() throws Exception {
        String topic = "slow-" + UUID.randomUUID().toString().substring(0, 8);
        TestKafka.createTopic(topic, 1);
        int records = 6_000;
        String payload = "x".repeat(2048);
        try (Gateway gateway = TestGateway.start(List.of(topic), Map.of(
                     "ws.max.pending.bytes", Integer.toString(256 * 1024),
                     "ws.write.buffer.low.bytes", Integer.toString(32 * 1024),
                     "ws.write.buffer.high.bytes", Integer.toString(64 * 1024)));
             TestProducer producer = new TestProducer();
             WsTestClient healthy = WsTestClient.proto(TestGateway.wsUri(gateway));
             RawWebSocket frozen = RawWebSocket.connect(gateway.port(), "fanwire.v1.json", 4096)) {
            healthy.subscribeOk(topic);
            frozen.sendText("{\"id\":\"1\",\"subscribe\":{\"channel\":\"" + topic + "\"}}");
            TestGateway.await("both subscribed", () -> gateway.metrics().subscriptions() == 2);

            for (int i = 0; i < records; i++) {
                producer.sendAsync(topic, "k", payload);
            }
            producer.flush();

            assertEquals(records, healthy.awaitMessages(records).size());
            TestGateway.await("frozen client disconnected", () -> gateway.metrics().connections() == 1);
            long received = frozen.drainUntilClosed();
            assertTrue(received < records * payload.length(), "the frozen client was cut off, got " + received);
            assertTrue(gateway.metrics().render().contains("fanwire_slow_consumer_disconnects_total 1"));
        }
    }
}
