package io.fanwire.gateway.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Per-topic payload formats of the JSON subprotocol: what goes as {@code data}, what falls back to base64. */
class PayloadFormatsTest {

    private final long before = FORMATS.fallbacks();

    private static final PayloadFormats FORMATS = PayloadFormats.parse("quotes=json, notes=text,raw=bytes");

    @Test
    void parsesTopicsAndFormats() {
        assertEquals(PayloadFormat.JSON, FORMATS.of("quotes"));
        assertEquals(PayloadFormat.TEXT, FORMATS.of("notes"));
        assertEquals(PayloadFormat.BYTES, FORMATS.of("raw"));
        assertEquals(PayloadFormat.BYTES, FORMATS.of("other"));
        assertTrue(PayloadFormats.parse("").named().isEmpty());
        assertEquals("'quotes' is not TOPIC=FORMAT",
                assertThrows(IllegalArgumentException.class, () -> PayloadFormats.parse("quotes")).getMessage());
        assertEquals("'yaml' is not a payload format (bytes, json or text)",
                assertThrows(IllegalArgumentException.class, () -> PayloadFormats.parse("q=yaml")).getMessage());
        assertEquals("topic q is named twice",
                assertThrows(IllegalArgumentException.class, () -> PayloadFormats.parse("q=json,q=text")).getMessage());
    }

    @Test
    void jsonTopicCarriesTheProducersBytesAsData() throws Exception {
        String value = "{\"symbol\":\"AAPL\",\"bid\":189.10,\"n\":[1,2,{\"x\":null}],\"s\":\"\\u00e9\"}";
        String json = encode("quotes", "AAPL", value.getBytes(StandardCharsets.UTF_8));
        assertTrue(json.contains(",\"data\":" + value + "}}"), json);
        assertFalse(json.contains("\"payload\""), json);
        // The canonical proto3 JSON form of Message, data = google.protobuf.Value: any proto3 JSON parser reads it.
        ServerFrame.Builder parsed = ServerFrame.newBuilder();
        JsonFormat.parser().merge(json, parsed);
        Message message = parsed.getMessage();
        assertEquals("quotes/AAPL", message.getChannel());
        assertEquals("AAPL", message.getData().getStructValue().getFieldsOrThrow("symbol").getStringValue());
        assertEquals(189.1, message.getData().getStructValue().getFieldsOrThrow("bid").getNumberValue());
        assertEquals(0, FORMATS.fallbacks() - before);
    }

    @Test
    void everyJsonValueKindIsData() {
        for (String value : new String[] {"42", "-1.5e3", "\"a string\"", "true", "null", "[]", " {} "}) {
            String json = encode("quotes", "k", value.getBytes(StandardCharsets.UTF_8));
            assertTrue(json.contains(",\"data\":" + value + "}}"), json);
        }
    }

    @Test
    void valuesThatAreNotJsonFallBackToBase64AndAreCounted() {
        PayloadFormats formats = PayloadFormats.parse("quotes=json,notes=text");
        String[] notJson = {"{\"a\":1", "{'a':1}", "{\"a\":1} trailing", "NaN", "// c\n1", "{a:1}", "01"};
        for (String value : notJson) {
            String json = encode(formats, "quotes", "k", value.getBytes(StandardCharsets.UTF_8));
            assertFalse(json.contains("\"data\""), value + " -> " + json);
            assertTrue(json.contains("\"payload\""), json);
        }
        byte[] badUtf8 = {'"', (byte) 0xC3, (byte) 0x28, '"'};
        assertTrue(encode(formats, "quotes", "k", badUtf8).contains("\"payload\""));
        assertTrue(encode(formats, "notes", "k", badUtf8).contains("\"payload\""));
        assertEquals(notJson.length + 2, formats.fallbacks());
    }

    @Test
    void textTopicCarriesAJsonString() throws Exception {
        String value = "line one\n\"quoted\" <tag> é ☃";
        String json = encode("notes", "n1", value.getBytes(StandardCharsets.UTF_8));
        ServerFrame.Builder parsed = ServerFrame.newBuilder();
        JsonFormat.parser().merge(json, parsed);
        assertEquals(value, parsed.getMessage().getData().getStringValue());
        assertFalse(json.contains("\"payload\""), json);
    }

    @Test
    void bytesTopicsEmptyValuesAndTheProtoFrameAreUntouched() {
        assertTrue(encode("raw", "k", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)).contains("\"payload\":\"eyJhIjoxfQ==\""));
        assertFalse(encode("quotes", "k", new byte[0]).contains("\"data\""));
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("quotes", 0, 7L, null,
                "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        EncodedRecord encoded = EncodedRecord.encode(record, FORMATS, UnpooledByteBufAllocator.DEFAULT);
        try {
            assertFalse(encoded.message().getMessage().hasData(), "the proto frame carries payload bytes only");
            assertArrayEquals(record.value(), encoded.message().getMessage().getPayload().toByteArray());
            String json = text(encoded.frame(Subprotocol.JSON, UnpooledByteBufAllocator.DEFAULT));
            assertTrue(json.endsWith("\"data\":{\"a\":1}}}"), json);
        } finally {
            encoded.release();
        }
    }

    private static String encode(String topic, String key, byte[] value) {
        return encode(FORMATS, topic, key, value);
    }

    private static String encode(PayloadFormats formats, String topic, String key, byte[] value) {
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(topic, 3, 42L,
                key.getBytes(StandardCharsets.UTF_8), value);
        ByteBuf frame = ServerFrames.encodeJson(ServerFrames.message(record), formats, UnpooledByteBufAllocator.DEFAULT);
        try {
            return text(frame);
        } finally {
            frame.release();
        }
    }

    /** The body of a complete unmasked text frame: skips its 2- or 4-byte header. */
    private static String text(ByteBuf frame) {
        int length = frame.getByte(1) & 0x7F;
        int header = length == 126 ? 4 : length == 127 ? 10 : 2;
        return frame.toString(frame.readerIndex() + header, frame.readableBytes() - header, StandardCharsets.UTF_8);
    }
}
