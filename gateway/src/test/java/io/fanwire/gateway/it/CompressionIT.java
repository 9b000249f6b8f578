package io.fanwire.gateway.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.Gateway;
import io.fanwire.gateway.testing.RawWebSocket;
import io.fanwire.gateway.testing.TestGateway;
import io.fanwire.gateway.testing.TestKafka;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Ping;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * permessage-deflate over a real broker and real sockets (PROTOCOL.md §1.1): a client that offers it gets
 * {@code server_no_context_takeover}, record and snapshot frames compressed (RSV1) that inflate to the same
 * messages a client without it gets, the same compressed bytes on every connection, small frames uncompressed;
 * its own compressed requests are understood; a compressed message that inflates past {@code ws.max.frame.bytes}
 * closes that connection only.
 */
class CompressionIT {

    private static final String OFFER = "permessage-deflate; client_no_context_takeover";
    private final String topic = "deflate-" + UUID.randomUUID().toString().substring(0, 8);
    private Gateway gateway;

    @BeforeEach
    void start() throws Exception {
        TestKafka.createTopic(topic, 1);
        gateway = TestGateway.start(List.of(topic), Map.of("snapshot.topics", topic,
                "payload.formats", topic + "=json", "ws.compression.min.bytes", "200"));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void recordsAndSnapshotsArriveCompressedOnceForEveryConnectionThatOffersIt() throws Exception {
        try (RawWebSocket first = RawWebSocket.connectOffering(gateway.port(), "fanwire.v1.proto", OFFER);
             RawWebSocket second = RawWebSocket.connectOffering(gateway.port(), "fanwire.v1.proto",
                     "permessage-deflate; client_max_window_bits");
             RawWebSocket json = RawWebSocket.connectOffering(gateway.port(), "fanwire.v1.json", OFFER);
             RawWebSocket plain = RawWebSocket.connect(gateway.port(), "fanwire.v1.proto", 0)) {
            assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                    first.extensions());
            assertEquals("permessage-deflate; server_no_context_takeover", second.extensions());
            assertNull(plain.extensions(), "no offer, no extension");

            // A compressed request is understood; so is an uncompressed one on the same connection.
            subscribe(first, true, false);
            subscribe(second, false, false);
            subscribeJson(json, true);
            subscribe(plain, false, false);

            String quote = quote("AAPL");
            TestKafka.produce(topic, "AAPL", quote);
            TestKafka.produce(topic, "T", "{\"tiny\":1}");

            List<RawWebSocket.Frame> firstFrames = records(first, 2);
            List<RawWebSocket.Frame> secondFrames = records(second, 2);
            List<RawWebSocket.Frame> plainFrames = records(plain, 2);
            List<RawWebSocket.Frame> jsonFrames = records(json, 2);

            assertTrue(firstFrames.get(0).compressed(), "a quote of " + quote.length() + " bytes is compressed");
            assertTrue(firstFrames.get(0).payload().length < plainFrames.get(0).payload().length,
                    firstFrames.get(0).payload().length + " compressed vs " + plainFrames.get(0).payload().length);
            assertArrayEquals(firstFrames.get(0).payload(), secondFrames.get(0).payload(),
                    "every connection gets the same compressed bytes");
            assertEquals(plainFrames.get(0).serverFrame(), firstFrames.get(0).serverFrame());
            assertFalse(firstFrames.get(1).compressed(), "below ws.compression.min.bytes: as it is");
            assertEquals(plainFrames.get(1).serverFrame(), firstFrames.get(1).serverFrame());

            assertTrue(jsonFrames.get(0).compressed());
            ServerFrame jsonQuote = jsonFrames.get(0).serverFrame();
            assertEquals("AAPL", jsonQuote.getMessage().getKey());
            assertTrue(new String(jsonFrames.get(0).inflated().payload(), StandardCharsets.UTF_8)
                    .contains("\"data\":" + quote), "the JSON topic's value as data");

            // A snapshot on a compressed connection: the last value of each key, compressed where it pays.
            try (RawWebSocket late = RawWebSocket.connectOffering(gateway.port(), "fanwire.v1.proto", OFFER)) {
                subscribe(late, true, true);
                List<RawWebSocket.Frame> snapshot = records(late, 2);
                int aaplAt = snapshot.get(0).serverFrame().getMessage().getKey().equals("AAPL") ? 0 : 1;
                Message aapl = snapshot.get(aaplAt).serverFrame().getMessage();
                assertTrue(aapl.getSnapshot());
                assertEquals(quote, aapl.getPayload().toString(StandardCharsets.UTF_8));
                assertTrue(snapshot.get(aaplAt).compressed());
                assertFalse(snapshot.get(1 - aaplAt).compressed(), "the small value as it is");
            }
        }
        assertEquals(4, TestGateway.metric(gateway, "fanwire_compressed_connections_total"));
    }

    @Test
    void aMessageThatInflatesPastTheFrameLimitClosesThatConnectionOnly() throws Exception {
        try (RawWebSocket bomb = RawWebSocket.connectOffering(gateway.port(), "fanwire.v1.proto", OFFER);
             RawWebSocket bystander = RawWebSocket.connectOffering(gateway.port(), "fanwire.v1.proto", OFFER)) {
            subscribe(bystander, true, false);
            // 1 MiB of zeros: about 1 KiB compressed, 16 times ws.max.frame.bytes inflated.
            bomb.sendCompressed(0x2, new byte[1 << 20]);
            assertNull(bomb.readServerFrame(), "the connection is closed");
            assertEquals(1009, bomb.closeStatus(), "message too big");
            assertEquals(1, TestGateway.metric(gateway, "fanwire_limit_exceeded_total{limit=\"frame_size\"}"));

            TestKafka.produce(topic, "AAPL", quote("AAPL"));
            assertEquals("AAPL", records(bystander, 1).get(0).serverFrame().getMessage().getKey());
            bystander.sendCompressed(0x2, ClientFrame.newBuilder().setId(9).setPing(Ping.getDefaultInstance())
                    .build().toByteArray());
            ServerFrame pong = bystander.readServerFrame();
            assertNotNull(pong);
            assertEquals(9, pong.getReply().getId());
        }
    }

    /** Subscribes to the topic in {@code fanwire.v1.proto}, the request compressed or not. */
    private void subscribe(RawWebSocket ws, boolean compressed, boolean snapshot) throws IOException {
        send(ws, 0x2, ClientFrame.newBuilder().setId(1)
                .setSubscribe(Subscribe.newBuilder().setChannel(topic).setSnapshot(snapshot)).build().toByteArray(),
                compressed);
    }

    /** Subscribes to the topic in {@code fanwire.v1.json}, the request compressed or not. */
    private void subscribeJson(RawWebSocket ws, boolean compressed) throws IOException {
        send(ws, 0x1, ("{\"id\":\"1\",\"subscribe\":{\"channel\":\"" + topic + "\"}}")
                .getBytes(StandardCharsets.UTF_8), compressed);
    }

    private static void send(RawWebSocket ws, int opcode, byte[] request, boolean compressed) throws IOException {
        if (compressed) {
            ws.sendCompressed(opcode, request);
        } else {
            ws.sendFrame(opcode, request);
        }
        ServerFrame reply = ws.readServerFrame();
        assertNotNull(reply, "closed with status " + ws.closeStatus());
        assertTrue(reply.getReply().hasSubscribed(), reply.toString());
    }

    /** The next {@code count} record frames, as they came on the wire. */
    private static List<RawWebSocket.Frame> records(RawWebSocket ws, int count) throws IOException {
        List<RawWebSocket.Frame> frames = new ArrayList<>();
        while (frames.size() < count) {
            RawWebSocket.Frame frame = ws.readFrame();
            assertNotNull(frame, "connection ended after " + frames.size() + " records");
            if (frame.opcode() == 0x1 || frame.opcode() == 0x2) {
                assertTrue(frame.serverFrame().hasMessage(), frame.serverFrame().toString());
                frames.add(frame);
            }
        }
        return frames;
    }

    /** A market-data quote as JSON, about 400 bytes. */
    private static String quote(String symbol) {
        return "{\"symbol\":\"" + symbol + "\",\"exchange\":\"XNAS\",\"currency\":\"USD\",\"bid\":189.10,"
                + "\"bidSize\":300,\"ask\":189.12,\"askSize\":500,\"last\":189.11,\"lastSize\":100,"
                + "\"open\":187.02,\"high\":189.50,\"low\":186.90,\"close\":188.00,\"volume\":51234567,"
                + "\"vwap\":188.43,\"bidExchange\":\"XNAS\",\"askExchange\":\"ARCX\",\"condition\":\"regular\","
                + "\"halted\":false,\"sequence\":918273,\"quoteTime\":\"2026-12-02T16:30:00.123456Z\","
                + "\"tradeTime\":\"2026-12-02T16:29:59.987654Z\"}";
    }
}
