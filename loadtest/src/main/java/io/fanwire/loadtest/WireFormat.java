package io.fanwire.loadtest;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.ServerFrame;
import java.util.Locale;

/**
 * The two fanwire.v1 subprotocols (PROTOCOL.md §2): {@code fanwire.v1.json}, text frames holding the
 * canonical proto3 JSON form, and {@code fanwire.v1.proto}, binary frames holding the protobuf bytes. Encodes
 * {@link ClientFrame}s and decodes {@link ServerFrame}s in either, so that the simulations and their checks
 * are written once.
 *
 * <p>Stateless; any thread. JSON decoding ignores unknown fields, as PROTOCOL.md §11 asks of clients.
 */
public enum WireFormat {
    JSON("fanwire.v1.json"),
    PROTO("fanwire.v1.proto");

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final String subprotocol;

    WireFormat(String subprotocol) {
        this.subprotocol = subprotocol;
    }

    /** Reads {@code json} or {@code proto} (the {@code fanwire.subprotocol} knob). */
    public static WireFormat parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "json", "fanwire.v1.json" -> JSON;
            case "proto", "fanwire.v1.proto" -> PROTO;
            default -> throw new IllegalArgumentException(Knob.SUBPROTOCOL.key() + " must be json or proto, was "
                    + name);
        };
    }

    /** The name offered in {@code Sec-WebSocket-Protocol}. */
    public String subprotocol() {
        return subprotocol;
    }

    /** True when frames are text ({@link #JSON}), false when binary. */
    public boolean text() {
        return this == JSON;
    }

    /** The JSON text of {@code frame}; only for {@link #JSON}. */
    public String encodeText(ClientFrame frame) {
        try {
            return PRINTER.print(frame);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a ClientFrame always prints as JSON", e);
        }
    }

    /** The protobuf bytes of {@code frame}; only for {@link #PROTO}. */
    public byte[] encodeBinary(ClientFrame frame) {
        return frame.toByteArray();
    }

    /** Decodes a text frame (JSON). */
    public static ServerFrame decode(String text) {
        ServerFrame.Builder frame = ServerFrame.newBuilder();
        try {
            PARSER.merge(text, frame);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a fanwire.v1 JSON ServerFrame: " + e.getMessage()
                    + ": " + abbreviate(text), e);
        }
        return frame.build();
    }

    /** Decodes a binary frame (protobuf). */
    public static ServerFrame decode(byte[] bytes) {
        try {
            return ServerFrame.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not a fanwire.v1 protobuf ServerFrame (" + bytes.length
                    + " bytes): " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 120 ? text : text.substring(0, 120) + "…";
    }
}
