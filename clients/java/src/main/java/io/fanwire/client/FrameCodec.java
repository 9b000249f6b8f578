package io.fanwire.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Frames of one subprotocol to and from WebSocket messages. Immutable; any thread. */
final class FrameCodec {

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
    /** Clients must ignore unknown fields and unknown frame kinds (PROTOCOL.md §11). */
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private final Format format;

    FrameCodec(Format format) {
        this.format = format;
    }

    WebSocketFrame encode(ClientFrame frame) {
        if (format == Format.PROTO) {
            return new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame.toByteArray()));
        }
        try {
            return new TextWebSocketFrame(PRINTER.print(frame));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot print " + frame, e);
        }
    }

    /** The frame's ServerFrame; throws when it does not decode, or is of the other subprotocol's frame type. */
    ServerFrame decode(WebSocketFrame frame) throws IOException {
        if (format == Format.PROTO) {
            if (!(frame instanceof BinaryWebSocketFrame)) {
                throw new IOException("a " + frame.getClass().getSimpleName() + " on fanwire.v1.proto");
            }
            try (ByteBufInputStream in = new ByteBufInputStream(frame.content().duplicate())) {
                return ServerFrame.parseFrom(in);
            }
        }
        if (!(frame instanceof TextWebSocketFrame)) {
            throw new IOException("a " + frame.getClass().getSimpleName() + " on fanwire.v1.json");
        }
        return decodeJson(frame.content().toString(StandardCharsets.UTF_8));
    }

    static ServerFrame decodeJson(String text) throws InvalidProtocolBufferException {
        ServerFrame.Builder builder = ServerFrame.newBuilder();
        PARSER.merge(text, builder);
        return builder.build();
    }
}
