package io.fanwire.gateway.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The last values of a snapshot topic, and their snapshot frames encoded once for every connection. */
class LastValuesTest {

    private final LastValues values = new LastValues(List.of("quotes"), 1L << 20);

    private void record(long offset, String key, String value) {
        EncodedRecord record = EncodedRecord.encode(new ConsumerRecord<>("quotes", 0, offset,
                key.getBytes(StandardCharsets.UTF_8), value == null ? null : value.getBytes(StandardCharsets.UTF_8)),
                PooledByteBufAllocator.DEFAULT);
        try {
            values.record(record, value == null);
        } finally {
            record.release();
        }
    }

    @Test
    void aValueIsEncodedOnceForEverySnapshotThatSendsIt() throws Exception {
        record(7, "AAPL", "189.5");
        LastValue forOne = values.values("quotes", null).next();
        LastValue forAnother = values.values("quotes", "AAPL").next();
        byte[] frame = forOne.snapshotFrame(Subprotocol.PROTO, PayloadFormats.none());
        assertSame(frame, forAnother.snapshotFrame(Subprotocol.PROTO, PayloadFormats.none()),
                "the second connection's snapshot copies the same encoded frame");

        // A complete binary WebSocket frame: FIN + binary opcode, unmasked length, the ServerFrame.
        assertEquals((byte) 0x82, frame[0]);
        assertEquals(frame.length - 2, frame[1]);
        ServerFrame decoded = ServerFrame.parseFrom(Arrays.copyOfRange(frame, 2, frame.length));
        assertTrue(decoded.getMessage().getSnapshot());
        assertEquals(7, decoded.getMessage().getOffset());
        assertEquals("189.5", decoded.getMessage().getPayload().toStringUtf8());
        byte[] text = forOne.snapshotFrame(Subprotocol.JSON, PayloadFormats.none());
        assertEquals((byte) 0x81, text[0]);
        String json = new String(text, 2, text.length - 2, StandardCharsets.UTF_8);
        assertTrue(json.contains("\"snapshot\":true"), json);
    }

    @Test
    void aNewerValueReplacesTheKeyAndATombstoneDeletesIt() {
        record(1, "AAPL", "1");
        byte[] old = values.values("quotes", "AAPL").next().snapshotFrame(Subprotocol.PROTO, PayloadFormats.none());
        record(2, "AAPL", "2");
        LastValue newer = values.values("quotes", "AAPL").next();
        assertEquals(2, newer.offset());
        assertNotSame(old, newer.snapshotFrame(Subprotocol.PROTO, PayloadFormats.none()));
        record(3, "AAPL", null);
        assertFalse(values.values("quotes", "AAPL").hasNext());
        Iterator<LastValue> none = values.values("other", null);
        assertFalse(none.hasNext(), "a topic that keeps no snapshots");
    }
}
