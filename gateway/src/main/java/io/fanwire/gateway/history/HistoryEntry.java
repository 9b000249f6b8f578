package io.fanwire.gateway.history;

import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.protocol.v1.ServerFrame;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One record kept in a {@link PartitionLog}, or read back from Kafka for resuming subscriptions
 * ({@link #fromKafka}): its offset, key (null when keyless) and {@code Message} frame (for a kept record, the
 * same immutable frame object the live path encoded), and the frame encoded as a complete WebSocket frame
 * once per subprotocol when the first replay needs it, then shared by every connection that replays it.
 *
 * <p>Why the encoded frames are kept: when a node takes over the clients of one that died, thousands of
 * connections resume and replay the same recent records at once. Encoding each record for each connection
 * (a protobuf serialization, a pooled buffer and an outbound-buffer entry per delivery) cost more than the
 * live path did for the same frames; copying the shared bytes into the connection's gathering buffer is what
 * the live path does. The same holds for the records a fresh node reads back from Kafka: one fetch serves
 * every connection that resumes from inside it, so its records are turned into entries once, by the reader. The bytes double what an entry holds once it has been replayed; the budget
 * ({@code history.partition.max.bytes}) counts the encoded length once.
 *
 * <p>Threads: made by the ingest thread (or a catch-up reader); read by any event loop. The lazily encoded frames are published through
 * volatile fields; two loops that both miss encode the same bytes twice and either is kept. The arrays are owned
 * by the garbage collector (an entry leaves the history while loops may still copy from it).
 */
public final class HistoryEntry {

    private final long offset;
    private final String key;
    private final ServerFrame frame;
    private final int bytes;
    private volatile byte[] protoFrame;
    private volatile byte[] jsonFrame;

    /** @param bytes the size the entry is charged against the partition's budget: the encoded frame's length */
    public HistoryEntry(long offset, String key, ServerFrame frame, int bytes) {
        this.offset = offset;
        this.key = key;
        this.frame = frame;
        this.bytes = bytes;
    }

    /**
     * A record read back from Kafka for resuming subscriptions: shared by every connection a fetch serves,
     * charged to no budget (it is not kept in a history).
     */
    public static HistoryEntry fromKafka(ConsumerRecord<byte[], byte[]> record) {
        ServerFrame frame = ServerFrames.message(record);
        String key = frame.getMessage().getKey();
        return new HistoryEntry(record.offset(), key.isEmpty() ? null : key, frame, 0);
    }

    public long offset() {
        return offset;
    }

    /** The record key, or null for a keyless record. */
    public String key() {
        return key;
    }

    /** The {@code Message} frame, unencoded. */
    public ServerFrame frame() {
        return frame;
    }

    /** What the entry is charged against the partition's budget. */
    public int bytes() {
        return bytes;
    }

    /**
     * The record as a complete WebSocket frame for {@code protocol}, encoded on first use. {@code formats} must be
     * the node's (one per node), since the JSON frame made with it is shared. The caller must not modify the array.
     */
    public byte[] encoded(Subprotocol protocol, PayloadFormats formats) {
        byte[] encoded = protocol == Subprotocol.PROTO ? protoFrame : jsonFrame;
        if (encoded == null) {
            encoded = ServerFrames.encodeToArray(frame, protocol, formats);
            if (protocol == Subprotocol.PROTO) {
                protoFrame = encoded;
            } else {
                jsonFrame = encoded;
            }
        }
        return encoded;
    }
}
