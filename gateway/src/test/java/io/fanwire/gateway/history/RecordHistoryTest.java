package io.fanwire.gateway.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.codec.EncodedRecord;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class RecordHistoryTest {

    private final RecordHistory history = new RecordHistory(300, 2);

    @Test
    void keepsRecentRecordsWithinTheBudgetAndKnowsWhereItIsComplete() {
        history.register("t", 0, 100);
        PartitionLog log = history.partition("t", 0);
        assertEquals(99, log.lastOffset());
        assertEquals(100, log.startOffset());

        int size = 0;
        for (long offset = 100; offset < 120; offset++) {
            size = append("t", 0, offset);
        }
        assertEquals(119, log.lastOffset());
        long kept = 300 / size;
        assertEquals(120 - kept, log.startOffset());

        List<HistoryEntry> out = new ArrayList<>();
        assertTrue(log.read(log.startOffset(), 1000, out));
        assertEquals(kept, out.size());
        assertEquals(log.startOffset(), out.get(0).offset());
        assertEquals(119, out.get(out.size() - 1).offset());

        assertFalse(log.read(log.startOffset() - 1, 1000, new ArrayList<>()), "evicted offsets are not complete");
        out.clear();
        assertTrue(log.read(118, 1, out));
        assertEquals(List.of(118L), out.stream().map(HistoryEntry::offset).toList());
    }

    @Test
    void aZeroBudgetKeepsPositionsOnly() {
        RecordHistory positionsOnly = new RecordHistory(0, 1);
        positionsOnly.register("t", 3, 0);
        EncodedRecord record = EncodedRecord.encode(new ConsumerRecord<>("t", 3, 7L, new byte[] {'k'}, new byte[] {1}),
                UnpooledByteBufAllocator.DEFAULT);
        positionsOnly.append(record);
        record.release();
        PartitionLog log = positionsOnly.partition("t", 3);
        assertEquals(7, log.lastOffset());
        assertEquals(8, log.startOffset());
        assertFalse(log.read(7, 10, new ArrayList<>()));
    }

    @Test
    void partitionsAppearAsTheyAreRegistered() {
        assertEquals(0, history.partitions("t").length);
        history.register("t", 1, 5);
        assertEquals(2, history.partitions("t").length);
        assertEquals(null, history.partition("t", 0));
        history.register("t", 0, 9);
        assertEquals(8, history.partition("t", 0).lastOffset());
        assertEquals(4, history.partition("t", 1).lastOffset());
        assertEquals(4, history.partition("t", 1).loopPosition(1));
    }

    private int append(String topic, int partition, long offset) {
        EncodedRecord record = EncodedRecord.encode(new ConsumerRecord<>(topic, partition, offset,
                ("k" + offset).getBytes(), new byte[] {1, 2, 3}), UnpooledByteBufAllocator.DEFAULT);
        try {
            history.append(record);
            return record.size();
        } finally {
            record.release();
        }
    }
}
