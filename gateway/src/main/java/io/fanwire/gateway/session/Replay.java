package io.fanwire.gateway.session;

import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.history.HistoryEntry;
import io.fanwire.gateway.history.PartitionLog;
import io.fanwire.gateway.ingest.CatchUpReaders;
import io.fanwire.protocol.v1.ServerFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one resuming subscription the records it missed, partition by partition, then hands each partition
 * over to the live path with no seam.
 *
 * <p>For a partition it keeps a cursor: the last offset the client has (its resume position at first). Records
 * after the cursor come from the partition's in-memory history when it still holds them, else from Kafka
 * through the shared {@link CatchUpReaders}; offsets Kafka no longer has are announced with ONE {@code Gap}.
 * Meanwhile the live path leaves this channel's records of the partition alone ({@link ChannelState#REPLAYING}).
 * When the cursor reaches the ingest thread's last offset ({@link PartitionLog#lastOffset}), every record the
 * event loop has processed so far is at or below the cursor — the ingest thread appends to the history before
 * it hands a record to the loops — so the switch is exact: the live path takes over for records after the
 * cursor, and skips the ones at or below it that were still queued for the loop.
 *
 * <p>Flow control: the replay writes while the connection is writable and yields to the loop every
 * {@value #RECORDS_PER_TURN} records; it resumes when the connection drains ({@link #writable}).
 *
 * <p>Event loop only (the connection's); Kafka chunks arrive on a reader thread and are handed to the loop.
 * Replayed frames are encoded for this connection alone and handed to its channel, which releases them.
 */
final class Replay implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Replay.class);
    private static final int RECORDS_PER_TURN = 512;
    private static final long RETRY_MS = 20;
    /** The reason of a {@code Gap} for offsets Kafka no longer has. */
    static final String RETENTION = "retention: Kafka no longer has these offsets";

    private final Session session;
    private final ChannelState state;
    private final int[] partitions;
    private final List<HistoryEntry> buffer = new ArrayList<>();
    private int index;
    private long cursor;
    private boolean waiting;
    private boolean cancelled;

    /** Replays {@code partitions} (in that order) of {@code state}, each from its {@link ChannelState#start}. */
    Replay(Session session, ChannelState state, int[] partitions) {
        this.session = session;
        this.state = state;
        this.partitions = partitions;
        this.cursor = partitions.length > 0 ? state.start[partitions[0]] : 0;
    }

    /** Whether the replay still owns {@code partition}: not handed to the live path yet. */
    boolean covers(int partition) {
        for (int i = index; i < partitions.length; i++) {
            if (partitions[i] == partition) {
                return true;
            }
        }
        return false;
    }

    /** The client's position in a partition that {@link #covers} says the replay owns. */
    long position(int partition) {
        return partitions[index] == partition ? cursor : state.start[partition];
    }

    void cancel() {
        cancelled = true;
    }

    /** The connection became writable again. */
    void writable() {
        if (waiting && !cancelled) {
            waiting = false;
            run();
        }
    }

    @Override
    public void run() {
        if (cancelled || !session.delivering()) {
            return;
        }
        try {
            replay();
        } catch (RuntimeException | OutOfMemoryError e) {
            failed(e);
        }
    }

    /**
     * The replay threw (direct memory ran out while encoding, or a bug): left alone, the channel would stay
     * {@link ChannelState#REPLAYING} for good and get no more records. Cut the connection instead; the client
     * resumes from its positions.
     */
    private void failed(Throwable e) {
        cancelled = true;
        log.error("replay of {} failed; cutting that connection", state.name, e);
        session.services().metrics().deliveryFailed();
        session.abortAfterFailure();
    }

    private void replay() {
        int budget = RECORDS_PER_TURN;
        while (index < partitions.length) {
            int partition = partitions[index];
            PartitionLog log = state.logs[partition];
            if (cursor >= log.lastOffset()) {
                switchToLive(partition);
                continue;
            }
            if (!session.ctx().channel().isWritable()) {
                waiting = true;
                session.flush();
                return;
            }
            if (budget <= 0) {
                session.flush();
                session.ctx().executor().execute(this);
                return;
            }
            long next = cursor + 1;
            if (next >= log.startOffset()) {
                buffer.clear();
                boolean complete = log.read(next, RECORDS_PER_TURN, buffer);
                if (complete && !buffer.isEmpty()) {
                    for (HistoryEntry entry : buffer) {
                        send(partition, entry.offset(), entry.key(), entry.frame());
                    }
                    budget -= buffer.size();
                    buffer.clear();
                    continue;
                }
                buffer.clear();
                if (complete) {
                    // The ingest thread is between adding a record and publishing its offset: look again shortly.
                    session.flush();
                    session.ctx().executor().schedule(this, RETRY_MS, TimeUnit.MILLISECONDS);
                    return;
                }
            }
            session.flush();
            fetchFromKafka(log, next);
            return;
        }
        session.flush();
        state.replay = null;
        session.dropSkipIfDone(state);
    }

    private void fetchFromKafka(PartitionLog log, long next) {
        int partition = partitions[index];
        session.services().catchUp().fetch(new TopicPartition(log.topic(), log.partition()), next,
                chunk -> session.ctx().executor().execute(() -> onChunk(partition, chunk)));
    }

    private void onChunk(int partition, CatchUpReaders.Chunk chunk) {
        if (cancelled || !session.delivering() || partitions[index] != partition) {
            return;
        }
        try {
            writeChunk(partition, chunk);
        } catch (RuntimeException | OutOfMemoryError e) {
            failed(e);
            return;
        }
        run();
    }

    private void writeChunk(int partition, CatchUpReaders.Chunk chunk) {
        if (cursor + 1 < chunk.logStart()) {
            session.writeFrame(ServerFrames.gap(state.name.toString(), partition, cursor + 1, chunk.logStart() - 1,
                    RETENTION));
            session.services().metrics().gapSent();
            cursor = chunk.logStart() - 1;
        }
        for (ConsumerRecord<byte[], byte[]> record : chunk.records()) {
            if (record.offset() > cursor) {
                String key = record.key() == null || record.key().length == 0 ? null
                        : new String(record.key(), StandardCharsets.UTF_8);
                if (state.matches(record.topic(), key)
                        && !session.deliveredByOther(state, record.topic(), partition, key, record.offset())) {
                    session.writeFrame(ServerFrames.message(record));
                }
                cursor = record.offset();
            }
        }
        cursor = Math.max(cursor, chunk.nextOffset() - 1);
    }

    private void send(int partition, long offset, String key, ServerFrame frame) {
        if (offset <= cursor) {
            return;
        }
        if (state.matches(state.name.topic(), key)
                && !session.deliveredByOther(state, state.name.topic(), partition, key, offset)) {
            session.writeFrame(frame);
        }
        cursor = offset;
    }

    /** The live path takes over {@code partition} after the cursor; the next partition's replay begins. */
    private void switchToLive(int partition) {
        PartitionLog log = state.logs[partition];
        // Records at or below the cursor may still be queued for this loop; unless the loop is past them already.
        state.skip[partition] = log.loopPosition(session.loopIndex()) >= cursor ? ChannelState.NO_SKIP : cursor;
        index++;
        if (index < partitions.length) {
            cursor = state.start[partitions[index]];
        }
    }
}
