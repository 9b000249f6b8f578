package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Position;
import io.netty.channel.uring.IoUring;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code transport=io_uring}: the node serves on Netty's io_uring transport what it serves on epoll: a live record,
 * a resume from Kafka, and a drain that sends the client its GoAway. This machine's kernel allows io_uring; where
 * one does not, the node refuses to start with Netty's reason (asserted instead).
 */
class IoUringTransportIT {

    @Test
    void servesLiveAndResumedRecordsAndDrainsOnIoUring() throws Exception {
        String topic = "uring-" + UUID.randomUUID();
        TestKafka.createTopic(topic, 2);
        TestKafka.produce(topic, "k", "before");
        if (!IoUring.isAvailable()) {
            Exception refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> TestGateway.start(List.of(topic), Map.of("transport", "io_uring")));
            assertTrue(String.valueOf(refused.getMessage()).contains("io_uring is not available"), refused.toString());
            return;
        }
        Gateway gateway = TestGateway.start(List.of(topic), Map.of("transport", "io_uring"));
        try (gateway; WsTestClient client = WsTestClient.json(TestGateway.wsUri(gateway))) {
            client.subscribeOk(topic);
            TestKafka.produce(topic, "k", "live");
            assertEquals("live", client.awaitMessage().getPayload().toStringUtf8());
            try (WsTestClient resumed = WsTestClient.json(TestGateway.wsUri(gateway))) {
                resumed.resume(topic + "/k", List.of(Position.newBuilder().setPartition(0).setOffset(-1).build(),
                        Position.newBuilder().setPartition(1).setOffset(-1).build()));
                assertEquals("before", resumed.awaitMessage().getPayload().toStringUtf8());
                assertEquals("live", resumed.awaitMessage().getPayload().toStringUtf8());
            }
            gateway.close(); // the drain, with the first client still connected: it gets the GoAway
        }
        assertEquals(1, TestGateway.metric(gateway, "fanwire_drain_goaways_total"), "the drain's GoAway");
    }
}
