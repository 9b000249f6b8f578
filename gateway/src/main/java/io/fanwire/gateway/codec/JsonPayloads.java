package io.fanwire.gateway.codec;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import io.fanwire.protocol.v1.Message;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checks a record value against its topic's {@link PayloadFormat} and gives the JSON text that stands for it in
 * a {@code fanwire.v1.json} {@code Message.data}: for {@code json}, the value's own bytes (valid JSON needs no
 * change); for {@code text}, the value as a JSON string.
 *
 * <p>Why not build a {@code google.protobuf.Value} and let {@code JsonFormat} print it: that parses every value
 * into a tree and prints it again (numbers through doubles, so {@code 1.10} would come out as {@code 1.1}); the
 * check here reads the value once with Gson's streaming reader (already on the classpath through
 * protobuf-java-util) and the frame carries the producer's bytes unchanged. It runs once per record, when the
 * record's JSON frame is made.
 *
 * <p>Stateless; any thread.
 */
final class JsonPayloads {

    private JsonPayloads() {
    }

    /** The JSON text for {@code message}'s value under {@code format}, or null when it must go as base64. */
    static byte[] data(Message message, PayloadFormat format) {
        if (format == PayloadFormat.BYTES || message.getPayload().isEmpty()) {
            return null;
        }
        String text = utf8(message.getPayload().asReadOnlyByteBuffer());
        if (text == null) {
            return null;
        }
        if (format == PayloadFormat.TEXT) {
            return quote(text);
        }
        return isJson(text) ? message.getPayload().toByteArray() : null;
    }

    private static String utf8(ByteBuffer bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** One complete JSON value (RFC 8259, surrounding whitespace allowed), nothing after it. */
    static boolean isJson(String text) {
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            reader.setStrictness(Strictness.STRICT);
            reader.skipValue();
            return reader.peek() == JsonToken.END_DOCUMENT;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            return false;
        }
    }

    private static byte[] quote(String text) {
        StringWriter out = new StringWriter(text.length() + 2);
        try (JsonWriter writer = new JsonWriter(out)) {
            writer.setHtmlSafe(false);
            writer.setStrictness(Strictness.LENIENT); // a bare string as the whole document
            writer.value(text);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringWriter does not throw
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
