package io.fanwire.gateway.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateClientExtensionHandshaker;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compressed server frames are what an independent permessage-deflate client (Netty's client-side decoder, with
 * {@code server_no_context_takeover}) inflates back to the original message, at every header length; frames that
 * would not shrink or are below the minimum stay as they are; a record is compressed once for every connection.
 */
class FrameCompressionTest {

    private static final FrameCompression ON = FrameCompression.on(6, 0, Map.of());

    @ParameterizedTest
    @ValueSource(ints = {200, 1000, 65_535, 65_536, 200_000, 1_000_000})
    void aCompressedFrameInflatesToTheMessageAtEveryHeaderLength(int payloadBytes) throws Exception {
        ServerFrame frame = ServerFrames.message(new ConsumerRecord<>("quotes", 3, 42L,
                "AAPL".getBytes(StandardCharsets.UTF_8), json(payloadBytes)));
        ByteBuf proto = ServerFrames.encodeProto(frame, PooledByteBufAllocator.DEFAULT);
        ByteBuf json = ServerFrames.encodeJson(frame, PooledByteBufAllocator.DEFAULT);
        try {
            ByteBuf compressed = ON.compress("quotes", proto, PooledByteBufAllocator.DEFAULT);
            assertNotNull(compressed, "compressible JSON shrinks");
            assertEquals(0x40, compressed.getByte(compressed.readerIndex()) & 0x40, "RSV1 set");
            assertTrue(compressed.readableBytes() < proto.readableBytes());
            assertEquals(frame, ServerFrame.parseFrom(inflate(compressed, BinaryWebSocketFrame.class)));

            ByteBuf compressedJson = ON.compress("quotes", json, PooledByteBufAllocator.DEFAULT);
            String text = new String(inflate(compressedJson, TextWebSocketFrame.class), StandardCharsets.UTF_8);
            assertEquals(json.toString(json.readerIndex() + (json.readableBytes() - text.length()), text.length(),
                    StandardCharsets.UTF_8), text);
        } finally {
            proto.release();
            json.release();
        }
    }

    @Test
    void anArrayFrameCompressesToTheSameBytesAsABuffer() {
        ServerFrame frame = ServerFrames.message(new ConsumerRecord<>("quotes", 0, 1L, null, json(500)));
        ByteBuf proto = ServerFrames.encodeProto(frame, PooledByteBufAllocator.DEFAULT);
        ByteBuf compressed = ON.compress("quotes", proto, PooledByteBufAllocator.DEFAULT);
        try {
            assertArrayEquals(ByteBufUtil.getBytes(compressed), ON.compress("quotes", ByteBufUtil.getBytes(proto)));
        } finally {
            proto.release();
            compressed.release();
        }
    }

    @Test
    void framesThatDoNotShrinkOrAreBelowTheMinimumStayAsTheyAre() {
        byte[] noise = new byte[2000];
        new Random(7).nextBytes(noise);
        ByteBuf random = ServerFrames.encodeProto(ServerFrames.message(
                new ConsumerRecord<>("quotes", 0, 1L, null, noise)), PooledByteBufAllocator.DEFAULT);
        ByteBuf small = ServerFrames.encodeProto(ServerFrames.message(
                new ConsumerRecord<>("ticks", 0, 1L, null, json(300))), PooledByteBufAllocator.DEFAULT);
        try {
            assertNull(ON.compress("quotes", random, PooledByteBufAllocator.DEFAULT), "random bytes do not shrink");
            FrameCompression perTopic = FrameCompression.on(6, 0, Map.of("ticks", 10_000));
            assertNull(perTopic.compress("ticks", small, PooledByteBufAllocator.DEFAULT), "below the topic's minimum");
            ByteBuf otherTopic = perTopic.compress("quotes", small, PooledByteBufAllocator.DEFAULT);
            assertNotNull(otherTopic, "the default minimum for topics not named");
            otherTopic.release();
            assertNull(FrameCompression.on(6, 10_000, Map.of()).compress("ticks", small,
                    PooledByteBufAllocator.DEFAULT), "below the default minimum");
        } finally {
            random.release();
            small.release();
        }
    }

    @Test
    void aRecordIsCompressedOnceForEveryConnectionThatGetsIt() {
        EncodedRecord record = EncodedRecord.encode(new ConsumerRecord<>("quotes", 0, 1L,
                "AAPL".getBytes(StandardCharsets.UTF_8), json(400)), PooledByteBufAllocator.DEFAULT);
        byte[] noise = new byte[200];
        new Random(11).nextBytes(noise);
        EncodedRecord incompressible = EncodedRecord.encode(new ConsumerRecord<>("quotes", 0, 2L, null, noise),
                PooledByteBufAllocator.DEFAULT);
        try {
            ByteBuf first = record.frame(Subprotocol.PROTO, ON, PooledByteBufAllocator.DEFAULT);
            assertSame(first, record.frame(Subprotocol.PROTO, ON, PooledByteBufAllocator.DEFAULT));
            assertTrue(first.readableBytes() < record.size());
            ByteBuf json = record.frame(Subprotocol.JSON, ON, PooledByteBufAllocator.DEFAULT);
            assertSame(json, record.frame(Subprotocol.JSON, ON, PooledByteBufAllocator.DEFAULT));
            assertSame(incompressible.frame(Subprotocol.PROTO, PooledByteBufAllocator.DEFAULT),
                    incompressible.frame(Subprotocol.PROTO, ON, PooledByteBufAllocator.DEFAULT),
                    "a frame that does not shrink is the uncompressed frame itself");
        } finally {
            assertTrue(record.release());
            assertTrue(incompressible.release());
        }
    }

    @Test
    void topicMinimumsParse() {
        assertEquals(Map.of("book", 0, "ticks", 100_000), FrameCompression.parseTopicMinBytes("book=0, ticks=100000"));
        assertEquals(Map.of(), FrameCompression.parseTopicMinBytes(""));
        assertThrows(IllegalArgumentException.class, () -> FrameCompression.parseTopicMinBytes("book"));
        assertThrows(IllegalArgumentException.class, () -> FrameCompression.parseTopicMinBytes("book=x"));
        assertThrows(IllegalArgumentException.class, () -> FrameCompression.parseTopicMinBytes("book=-1"));
        assertThrows(IllegalArgumentException.class, () -> FrameCompression.parseTopicMinBytes("a=1,a=2"));
    }

    /** A JSON-looking value of about {@code bytes} bytes: quotes, as a market-data topic carries them. */
    private static byte[] json(int bytes) {
        StringBuilder out = new StringBuilder("[");
        Random random = new Random(bytes);
        while (out.length() < bytes) {
            out.append("{\"symbol\":\"S").append(random.nextInt(50)).append("\",\"bid\":")
                    .append(100 + random.nextInt(100)).append(".").append(random.nextInt(100)).append("},");
        }
        out.setLength(Math.max(1, Math.min(out.length(), bytes)));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Decodes {@code frame} (released) as a client would: Netty's frame decoder, then its inflater. */
    private static byte[] inflate(ByteBuf frame, Class<? extends WebSocketFrame> type) {
        Map<String, String> agreed = new HashMap<>();
        agreed.put("server_no_context_takeover", null);
        EmbeddedChannel client = new EmbeddedChannel(
                new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder().expectMaskedFrames(false)
                        .allowExtensions(true).maxFramePayloadLength(4 << 20).build()),
                new PerMessageDeflateClientExtensionHandshaker()
                        .handshakeExtension(new WebSocketExtensionData("permessage-deflate", agreed))
                        .newExtensionDecoder());
        assertTrue(client.writeInbound(frame));
        WebSocketFrame decoded = client.readInbound();
        try {
            assertTrue(type.isInstance(decoded), decoded.getClass().getName());
            assertEquals(0, decoded.rsv(), "inflated");
            return ByteBufUtil.getBytes(decoded.content());
        } finally {
            decoded.release();
            client.finishAndReleaseAll();
        }
    }
}
