package io.fanwire.gateway.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pre-encoded record frames are byte-for-byte what Netty's own WebSocket decoder accepts, at every
 * header length; client frames decode per subprotocol.
 */
class ServerFramesTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 125, 126, 1000, 65_535, 65_536, 200_000})
    void preEncodedFramesDecodeAsWebSocketFrames(int payloadBytes) throws Exception {
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("quotes", 3, 42L,
                "AAPL".getBytes(StandardCharsets.UTF_8), new byte[payloadBytes]);
        ServerFrame frame = ServerFrames.message(record);
        assertEquals(frame, ServerFrame.parseFrom(decode(ServerFrames.encodeProto(frame, PooledByteBufAllocator.DEFAULT),
                BinaryWebSocketFrame.class)));
        String json = new String(decode(ServerFrames.encodeJson(frame, PooledByteBufAllocator.DEFAULT),
                TextWebSocketFrame.class), StandardCharsets.UTF_8);
        assertEquals("quotes/AAPL", frame.getMessage().getChannel());
        assertTrue(json.startsWith("{\"message\":{\"channel\":\"quotes/AAPL\",\"key\":\"AAPL\""));
    }

    @Test
    void emptyKeyIsKeyless() {
        ServerFrame frame = ServerFrames.message(new ConsumerRecord<>("t", 0, 0L, new byte[0], new byte[] {1}));
        assertEquals("t", frame.getMessage().getChannel());
        EncodedRecord encoded = EncodedRecord.encode(new ConsumerRecord<>("t", 0, 0L, new byte[0], new byte[] {1}),
                PooledByteBufAllocator.DEFAULT);
        assertNull(encoded.key());
        encoded.release();
    }

    @Test
    void clientFramesDecodePerSubprotocol() throws Exception {
        ClientFrame json = decodeClient(new TextWebSocketFrame(
                "{\"id\":\"1\",\"subscribe\":{\"channel\":\"quotes/AAPL\"}}"), Subprotocol.JSON);
        assertEquals(1, json.getId());
        assertEquals("quotes/AAPL", json.getSubscribe().getChannel());
        assertEquals(json, decodeClient(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(json.toByteArray())),
                Subprotocol.PROTO));

        assertBad(new TextWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {'{', (byte) 0xC3, '}'})), Subprotocol.JSON);
        assertBad(new TextWebSocketFrame("[".repeat(10_000)), Subprotocol.JSON);
        assertBad(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})), Subprotocol.JSON);
        assertBad(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {8})), Subprotocol.PROTO);
        assertBad(new TextWebSocketFrame("{\"ping\":{}}"), Subprotocol.PROTO);
    }

    private static ClientFrame decodeClient(WebSocketFrame frame, Subprotocol protocol) throws BadFrameException {
        try {
            return ClientFrameDecoder.decode(frame, protocol);
        } finally {
            frame.release();
        }
    }

    private static void assertBad(WebSocketFrame frame, Subprotocol protocol) {
        assertThrows(BadFrameException.class, () -> decodeClient(frame, protocol));
    }

    @Test
    void subprotocolNegotiation() {
        assertEquals(Subprotocol.JSON, Subprotocol.negotiate(null));
        assertEquals(Subprotocol.PROTO, Subprotocol.negotiate("mqtt, fanwire.v1.proto, fanwire.v1.json"));
        assertEquals(Subprotocol.JSON, Subprotocol.negotiate("fanwire.v1.json,fanwire.v1.proto"));
        assertNull(Subprotocol.negotiate("mqtt"));
    }

    /** Runs {@code wire} through Netty's client-side frame decoder and returns the frame's payload. */
    private static byte[] decode(ByteBuf wire, Class<? extends WebSocketFrame> type) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));
        client.writeInbound(wire);
        WebSocketFrame frame = client.readInbound();
        try {
            assertEquals(type, frame.getClass());
            byte[] bytes = new byte[frame.content().readableBytes()];
            frame.content().readBytes(bytes);
            return bytes;
        } finally {
            frame.release();
            client.finishAndReleaseAll();
        }
    }
}
