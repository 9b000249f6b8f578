package io.fanwire.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.codec.FrameCompression;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which permessage-deflate offers a node accepts and what it answers (RFC 7692 §7.1). */
class PermessageDeflateTest {

    private static final WebSocketDecoderConfig DECODER = WebSocketDecoderConfig.newBuilder()
            .allowExtensions(false).maxFramePayloadLength(65_536).build();
    private final PermessageDeflate deflate = new PermessageDeflate(FrameCompression.on(6, 128, Map.of()), DECODER);

    @Test
    void theServerAlwaysCompressesWithoutContextTakeover() {
        // What browsers offer.
        assertEquals("permessage-deflate; server_no_context_takeover",
                deflate.accept("permessage-deflate; client_max_window_bits").responseHeader());
        assertEquals("permessage-deflate; server_no_context_takeover", deflate.accept("permessage-deflate")
                .responseHeader());
    }

    @Test
    void theClientsContextIsDroppedWhenItOffersTo() {
        assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                deflate.accept("permessage-deflate; client_no_context_takeover; server_no_context_takeover")
                        .responseHeader());
    }

    @Test
    void aSmallerServerWindowIsDeclinedAndTheNextOfferTaken() {
        assertNull(deflate.accept("permessage-deflate; server_max_window_bits=10"));
        assertEquals("permessage-deflate; server_no_context_takeover; client_no_context_takeover",
                deflate.accept("permessage-deflate; server_max_window_bits=10, "
                        + "permessage-deflate; client_no_context_takeover").responseHeader());
    }

    @Test
    void otherExtensionsNoHeaderAndCompressionOffAreDeclined() {
        assertNull(deflate.accept(null));
        assertNull(deflate.accept("x-webkit-deflate-frame"));
        assertNull(deflate.accept("permessage-deflate; unknown_parameter"));
        assertNull(new PermessageDeflate(FrameCompression.OFF, DECODER).accept("permessage-deflate"));
    }

    @Test
    void onlyNegotiatedConnectionsMayUseRsv1() {
        assertTrue(deflate.decoderConfig().allowExtensions());
        assertEquals(65_536, deflate.decoderConfig().maxFramePayloadLength());
    }
}
