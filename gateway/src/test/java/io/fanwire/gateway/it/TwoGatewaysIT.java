package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.TestProducer;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Message;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/** Nodes share nothing but Kafka: each delivers the same record, at the same position, to its own clients. */
class TwoGatewaysIT {

    @Test
    void eachNodeDeliversTheSameRecordToItsOwnClients() throws Exception {
        String topic = "nodes-" + UUID.randomUUID().toString().substring(0, 8);
        TestKafka.createTopic(topic, 3);
        try (Gateway a = TestGateway.start(List.of(topic));
             Gateway b = TestGateway.start(List.of(topic));
             TestProducer producer = new TestProducer();
             WsTestClient onA = WsTestClient.json(TestGateway.wsUri(a));
             WsTestClient onB = WsTestClient.proto(TestGateway.wsUri(b))) {
            onA.subscribeOk(topic + "/EURUSD");
            onB.subscribeOk(topic);

            RecordMetadata sent = producer.send(topic, "EURUSD", "1.0842");
            Message fromA = onA.awaitMessage();
            Message fromB = onB.awaitMessage();
            assertEquals(fromA, fromB);
            assertEquals(sent.partition(), fromA.getPartition());
            assertEquals(sent.offset(), fromA.getOffset());
            assertEquals("1.0842", fromB.getPayload().toStringUtf8());
        }
    }
}
