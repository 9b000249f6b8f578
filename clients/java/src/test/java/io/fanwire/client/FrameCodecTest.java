package io.fanwire.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    @Test
    void jsonFramesUseTheCanonicalMappingWithStringIds() {
        WebSocketFrame frame = new FrameCodec(Format.JSON).encode(ClientFrame.newBuilder().setId(7).setSubscribe(
                Subscribe.newBuilder().setChannel("quotes").addResumeFrom(Position.newBuilder().setPartition(1)
                        .setOffset(977)).setMaxRate(2.5)).build());
        try {
            assertEquals("{\"id\":\"7\",\"subscribe\":{\"channel\":\"quotes\",\"resumeFrom\":[{\"partition\":1,"
                    + "\"offset\":\"977\"}],\"maxRate\":2.5}}", ((TextWebSocketFrame) frame).text());
        } finally {
            frame.release();
        }
    }

    @Test
    void protoFramesAreBinary() throws IOException {
        ServerFrame sent = ServerFrame.newBuilder().setMessage(Message.newBuilder().setChannel("t/k").setOffset(3)
                .setPayload(ByteString.copyFromUtf8("x"))).build();
        WebSocketFrame frame = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(sent.toByteArray()));
        try {
            assertEquals(sent, new FrameCodec(Format.PROTO).decode(frame));
            assertThrows(IOException.class, () -> new FrameCodec(Format.JSON).decode(frame));
        } finally {
            frame.release();
        }
    }

    @Test
    void unknownFieldsAndKindsOfLaterVersionsAreIgnored() throws IOException {
        ServerFrame frame = FrameCodec.decodeJson("{\"message\":{\"channel\":\"t\",\"offset\":\"5\",\"future\":1}}");
        assertEquals(5, frame.getMessage().getOffset());
        assertEquals(ServerFrame.KindCase.KIND_NOT_SET, FrameCodec.decodeJson("{\"newKind\":{}}").getKindCase());
    }

    @Test
    void aJsonTopicRecordCarriesDataAndItsPayloadIsTheJsonText() throws IOException {
        Message m = FrameCodec.decodeJson("{\"message\":{\"channel\":\"quotes/AAPL\",\"key\":\"AAPL\",\"offset\":\"42\","
                + "\"data\":{\"bid\":189.12,\"symbol\":\"AAPL\"}}}").getMessage();
        FanwireMessage message = new FanwireMessage(m, "quotes");
        assertEquals("{\"bid\":189.12,\"symbol\":\"AAPL\"}", message.data());
        assertEquals(message.data(), new String(message.payload(), StandardCharsets.UTF_8));
        assertEquals(189.12, message.dataValue().getStructValue().getFieldsOrThrow("bid").getNumberValue());
    }

    @Test
    void aTextTopicRecordCarriesAStringWhosePayloadIsTheStringItself() throws IOException {
        Message m = FrameCodec.decodeJson("{\"message\":{\"channel\":\"notes\",\"data\":\"héllo\"}}").getMessage();
        FanwireMessage message = new FanwireMessage(m, "notes");
        assertArrayEquals("héllo".getBytes(StandardCharsets.UTF_8), message.payload());
        assertEquals("\"héllo\"", message.data());
        assertEquals("héllo", message.payloadString());
    }

    @Test
    void aPayloadThatIsJsonHasDataOtherwiseNone() {
        assertEquals("{\"a\":[1,2]}", message("{\"a\":[1,2]}").data());
        assertEquals("42", message("42").data());
        assertNull(message("k0:5").data());
        assertNull(message("hello").data());
        assertNull(message("").data());
        Message binary = Message.newBuilder().setPayload(ByteString.copyFrom(new byte[] {(byte) 0xff, 0x7b}))
                .build();
        assertNull(new FanwireMessage(binary, "t").data());
        assertNull(new FanwireMessage(binary, "t").dataValue());
    }

    @Test
    void keylessRecordsHaveANullKey() {
        assertNull(message("x").key());
    }

    private static FanwireMessage message(String payload) {
        return new FanwireMessage(Message.newBuilder().setChannel("t").setPayload(ByteString.copyFromUtf8(payload))
                .build(), "t");
    }
}
