package io.fanwire.gateway.transport;

import io.fanwire.gateway.codec.FrameCompression;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionUtil;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import java.util.List;
import java.util.Map;

/**
 * The permessage-deflate negotiation (RFC 7692) of an upgrade: which offer of a {@code Sec-WebSocket-Extensions}
 * header is accepted, what the response says, and what decodes the client's compressed messages.
 *
 * <p>The response always carries {@code server_no_context_takeover} (RFC 7692 §7.1.1.1 lets a server add it
 * unasked): the server compresses each message on its own, so one compressed frame per record serves every
 * connection ({@link FrameCompression}). It carries {@code client_no_context_takeover} when the client offered
 * it, so that nothing of a client's compressed messages is kept between them. An offer that asks for a smaller
 * server window ({@code server_max_window_bits}) is declined: the JDK's zlib compresses with a 32 KiB window only.
 *
 * <p>The client's messages are inflated by Netty's {@code PerMessageDeflateDecoder}, made by Netty's own
 * handshaker from the offer (the parameters are the same ones this side checks); it makes its inflater on the
 * first compressed message only, and keeps it between messages only for a client that did not offer
 * {@code client_no_context_takeover} (about 40 KiB of native memory per such connection, docs/operations.md).
 * Decompressed messages are bounded by {@code ws.max.frame.bytes}, as uncompressed ones are.
 *
 * <p>Immutable; any thread.
 */
final class PermessageDeflate {

    private static final String NAME = "permessage-deflate";
    private static final String SERVER_NO_CONTEXT = "server_no_context_takeover";
    private static final String CLIENT_NO_CONTEXT = "client_no_context_takeover";

    /** What an accepted offer gives the upgrade: the response header value and the inbound decoder. */
    record Accepted(String responseHeader, WebSocketExtensionDecoder decoder) {
    }

    private final FrameCompression compression;
    private final PerMessageDeflateServerExtensionHandshaker offers;
    private final WebSocketDecoderConfig decoderConfig;

    /**
     * @param decoderConfig the frame decoder's settings for connections without the extension; connections with
     *                      it get the same settings with RSV1 allowed
     */
    PermessageDeflate(FrameCompression compression, WebSocketDecoderConfig decoderConfig) {
        this.compression = compression;
        this.decoderConfig = decoderConfig.toBuilder().allowExtensions(true).build();
        // Level: Netty's encoder is never made, so its level does not matter. Client window: what the client
        // offered, or 15. Server no context: accepted when asked (and added when not, see accept).
        this.offers = new PerMessageDeflateServerExtensionHandshaker(6, false, 15, true, true,
                decoderConfig.maxFramePayloadLength());
    }

    /** The node's compression settings, for the writer of a connection that negotiated the extension. */
    FrameCompression compression() {
        return compression;
    }

    /** The frame decoder's settings for a connection that negotiated the extension: RSV1 allowed. */
    WebSocketDecoderConfig decoderConfig() {
        return decoderConfig;
    }

    /**
     * The first permessage-deflate offer of {@code extensionsHeader} this node accepts, or null: compression
     * is off, the header is absent or offers nothing acceptable (the connection then goes uncompressed).
     */
    Accepted accept(String extensionsHeader) {
        if (!compression.enabled() || extensionsHeader == null) {
            return null;
        }
        List<WebSocketExtensionData> offered;
        try {
            offered = WebSocketExtensionUtil.extractExtensions(extensionsHeader);
        } catch (RuntimeException e) {
            return null;
        }
        for (WebSocketExtensionData offer : offered) {
            WebSocketServerExtension extension = offers.handshakeExtension(offer);
            if (extension == null) {
                continue;
            }
            Map<String, String> agreed = extension.newReponseData().parameters();
            StringBuilder response = new StringBuilder(NAME).append("; ").append(SERVER_NO_CONTEXT);
            if (agreed.containsKey(CLIENT_NO_CONTEXT)) {
                response.append("; ").append(CLIENT_NO_CONTEXT);
            }
            agreed.forEach((name, value) -> {
                if (!name.equals(SERVER_NO_CONTEXT) && !name.equals(CLIENT_NO_CONTEXT)) {
                    response.append("; ").append(name);
                    if (value != null) {
                        response.append('=').append(value);
                    }
                }
            });
            return new Accepted(response.toString(), extension.newExtensionDecoder());
        }
        return null;
    }
}
