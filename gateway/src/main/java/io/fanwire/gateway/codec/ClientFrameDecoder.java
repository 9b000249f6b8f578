package io.fanwire.gateway.codec;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.fanwire.protocol.v1.ClientFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Decodes one client data frame into a {@link ClientFrame}, per the connection's subprotocol.
 *
 * <p>Runs on the connection's event loop. Reads the frame's content and does not release it: the caller
 * owns the frame.
 */
public final class ClientFrameDecoder {

    private static final JsonFormat.Parser JSON_PARSER = JsonFormat.parser();

    private ClientFrameDecoder() {
    }

    /**
     * Decodes {@code frame}, or throws {@link BadFrameException} with the sentence the client will read. A
     * frame that decodes but names no request is returned as is: its id is known, so the caller answers it.
     */
    public static ClientFrame decode(WebSocketFrame frame, Subprotocol protocol) throws BadFrameException {
        return switch (protocol) {
            case PROTO -> decodeProto(frame);
            case JSON -> decodeJson(frame);
        };
    }

    private static ClientFrame decodeProto(WebSocketFrame frame) throws BadFrameException {
        if (!(frame instanceof BinaryWebSocketFrame)) {
            throw new BadFrameException("fanwire.v1.proto takes binary frames, not text frames");
        }
        ByteBuf content = frame.content();
        try {
            return ClientFrame.parseFrom(CodedInputStream.newInstance(content.nioBuffer()));
        } catch (InvalidProtocolBufferException e) {
            throw new BadFrameException("the binary frame is not a fanwire.v1 ClientFrame: " + e.getMessage());
        } catch (IOException e) {
            throw new BadFrameException("the binary frame could not be read: " + e.getMessage());
        }
    }

    private static ClientFrame decodeJson(WebSocketFrame frame) throws BadFrameException {
        if (!(frame instanceof TextWebSocketFrame)) {
            throw new BadFrameException("fanwire.v1.json takes text frames, not binary frames");
        }
        ByteBuf content = frame.content();
        if (!ByteBufUtil.isText(content, StandardCharsets.UTF_8)) {
            throw new BadFrameException("the text frame is not valid UTF-8");
        }
        ClientFrame.Builder builder = ClientFrame.newBuilder();
        try {
            JSON_PARSER.merge(content.toString(StandardCharsets.UTF_8), builder);
        } catch (InvalidProtocolBufferException e) {
            throw new BadFrameException("the text frame is not a fanwire.v1 ClientFrame in JSON: " + e.getMessage());
        } catch (RuntimeException e) {
            // JsonFormat reports some malformed input (for example deep nesting) as unchecked exceptions.
            throw new BadFrameException("the text frame is not valid JSON");
        }
        return builder.build();
    }
}
