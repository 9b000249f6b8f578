package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.gateway.testing.WsTestClient;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PROTOCOL.md §2.4 over a real broker: a json topic's values reach JSON connections as {@code data}, live and
 * resumed alike; a value that is not JSON goes as base64 and is counted; protobuf connections get the bytes.
 */
class PayloadFormatIT {

    private final String topic = "formats-" + UUID.randomUUID().toString().substring(0, 8);
    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        TestKafka.createTopic(topic, 1);
        gateway = TestGateway.start(List.of(topic), Map.of("payload.formats", topic + "=json"));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void jsonValuesAreDataLiveAndResumedAndEverythingElseIsBase64() throws Exception {
        String quote = "{\"symbol\":\"AAPL\",\"bid\":189.10}";
        try (WsTestClient json = WsTestClient.json(TestGateway.wsUri(gateway));
             WsTestClient proto = WsTestClient.proto(TestGateway.wsUri(gateway))) {
            json.subscribeOk(topic);
            proto.subscribeOk(topic);
            TestKafka.produce(topic, "AAPL", quote);
            TestKafka.produce(topic, "AAPL", "not json {");

            List<String> live = messages(json, 2);
            assertTrue(live.get(0).endsWith(",\"data\":" + quote + "}}"), live.get(0));
            assertFalse(live.get(0).contains("\"payload\""), live.get(0));
            assertTrue(live.get(1).contains("\"payload\":\"bm90IGpzb24gew==\""), live.get(1));
            assertFalse(live.get(1).contains("\"data\""), live.get(1));

            List<Message> binary = proto.awaitMessages(2);
            assertEquals(quote, binary.get(0).getPayload().toString(StandardCharsets.UTF_8));
            assertFalse(binary.get(0).hasData(), "protobuf connections get the bytes only");
        }
        assertEquals(1, TestGateway.metric(gateway, "fanwire_payload_format_fallbacks_total"));

        // A resumed record comes from the node's history, not the live frame: it is data as well.
        try (WsTestClient resumed = WsTestClient.json(TestGateway.wsUri(gateway))) {
            resumed.resume(topic, List.of(Position.newBuilder().setPartition(0).setOffset(-1).build()));
            List<String> replayed = messages(resumed, 2);
            assertTrue(replayed.get(0).endsWith(",\"data\":" + quote + "}}"), replayed.get(0));
            assertTrue(replayed.get(1).contains("\"payload\""), replayed.get(1));
        }
    }

    private static List<String> messages(WsTestClient client, int count) throws InterruptedException {
        List<String> messages = new ArrayList<>();
        while (messages.size() < count) {
            String text = client.rawText().poll(20, TimeUnit.SECONDS);
            if (text == null) {
                throw new AssertionError("only " + messages.size() + " of " + count + " messages: " + messages);
            }
            if (text.startsWith("{\"message\"")) {
                messages.add(text);
            }
        }
        return messages;
    }
}
