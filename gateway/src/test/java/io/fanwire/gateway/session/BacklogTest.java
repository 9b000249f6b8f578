package io.fanwire.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.Subprotocol;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a connection that is behind is owed, in which order, and that every held record is released. */
class BacklogTest {

    private final List<EncodedRecord> made = new ArrayList<>();
    private final Backlog backlog = new Backlog(Subprotocol.PROTO, PooledByteBufAllocator.DEFAULT, new GatewayMetrics());

    @AfterEach
    void everyRecordReleased() {
        for (EncodedRecord record : made) {
            record.release();
            assertEquals(0, record.refCnt(), "the backlog kept a reference");
        }
    }

    @Test
    void conflationKeepsTheNewestValuePerKey() {
        assertFalse(backlog.conflate(record("A", 1)));
        assertTrue(backlog.conflate(record("A", 3)), "A@1 replaced");
        assertEquals(List.of("A@3"), drain(9));
        assertTrue(backlog.isEmpty());
    }

    @Test
    void entriesComeOutInTheOrderOfTheirLatestOffset() {
        backlog.conflate(record("A", 1));
        backlog.conflate(record("B", 2));
        backlog.conflate(record("A", 3));
        assertEquals(List.of("B@2", "A@3"), drain(9));
    }

    @Test
    void dropsMakeOneRangePerPartitionUntilAConflatedRecordClosesIt() {
        backlog.drop(record(null, 10));
        backlog.drop(record(null, 11));
        backlog.conflate(record("A", 12));
        backlog.drop(record(null, 13));
        assertEquals(List.of("gap 10..11", "A@12", "gap 13..13"), drain(9));
        assertEquals(0, backlog.heldBytes());
    }

    @Test
    void drainingStopsWhenTheWriterIsFullAndHeldBytesFollow() {
        backlog.conflate(record("A", 1));
        backlog.conflate(record("B", 2));
        long both = backlog.heldBytes();
        assertEquals(List.of("A@1"), drain(1));
        assertTrue(backlog.heldBytes() > 0 && backlog.heldBytes() < both);
        assertFalse(backlog.isEmpty());
        backlog.discard();
        assertEquals(0, backlog.heldBytes());
        assertTrue(backlog.isEmpty());
    }

    @Test
    void recordsNoSubscriptionWantsAreForgotten() {
        backlog.conflate(record("A", 1));
        backlog.conflate(record("B", 2));
        backlog.retainRecords(record -> record.key().equals("B"));
        assertEquals(List.of("B@2"), drain(9));
    }

    private EncodedRecord record(String key, long offset) {
        EncodedRecord record = EncodedRecord.encode(new ConsumerRecord<>("t", 0, offset,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)),
                PooledByteBufAllocator.DEFAULT);
        made.add(record);
        return record;
    }

    /** Drains at most {@code room} entries, as text. */
    private List<String> drain(int room) {
        List<String> out = new ArrayList<>();
        backlog.drainTo(new Backlog.Writer() {
            @Override
            public boolean writable() {
                return out.size() < room;
            }

            @Override
            public void record(EncodedRecord record) {
                out.add(record.key() + "@" + record.offset());
            }

            @Override
            public void gap(String topic, int partition, long fromOffset, long toOffset) {
                out.add("gap " + fromOffset + ".." + toOffset);
            }
        });
        return out;
    }
}
