package io.fanwire.gateway.session;

import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.history.HistoryEntry;
import io.fanwire.gateway.history.PartitionLog;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one subscription the records after its start positions — what a resuming client missed, or what was
 * written while a snapshot streamed ({@link SnapshotSender}) — its partitions in turn, then hands each
 * partition over to the live path with no seam.
 *
 * <p>For each partition it keeps a cursor: the last offset the client has (its resume position at first). Records
 * after the cursor come from the partition's in-memory history when it still holds them, else from Kafka
 * through {@link OlderRecords} (the shared catch-up readers); offsets Kafka no longer has are announced with
 * ONE {@code Gap}.
 * Offsets that hold no record (transaction markers, records removed by compaction) are simply passed: a cursor
 * moves to the offset of the last record sent, or to the end of the range a Kafka chunk covered, never by
 * "offset + 1" alone.
 * Meanwhile the live path leaves this channel's records of the partition alone ({@link Subscription#liveIn}).
 * When the cursor reaches the ingest thread's last offset ({@link PartitionLog#lastOffset}), every record the
 * event loop has processed so far is at or below the cursor — the ingest thread appends to the history before
 * it hands a record to the loops — so the switch is exact: the live path takes over for records after the
 * cursor, and skips the ones at or below it that were still queued for the loop
 * ({@link Subscription#partitionCaughtUp}).
 *
 * <p>Fairness: the partitions take turns, round robin, each at most {@value #RECORDS_PER_SLICE} records a turn
 * (from memory or from a Kafka chunk it was handed), and a partition waiting for Kafka does not hold up the
 * others. So a client that reads slower than records arrive still sees every partition progress, instead of
 * the first partition only.
 *
 * <p>Flow control: the replay writes while the connection is writable and yields to the loop every
 * {@value #RECORDS_PER_TURN} records; it resumes when the connection drains ({@link #writable}).
 *
 * <p>Event loop only (the connection's); Kafka chunks arrive on a reader thread and are handed to the loop.
 * Replayed records, from memory or from a Kafka chunk, are {@link HistoryEntry}s that other connections share:
 * their frame is encoded once and copied into this connection's gathering buffer.
 */
final class Replay implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Replay.class);
    private static final int RECORDS_PER_TURN = 512;
    /** Records one partition sends before the next partition's turn: a fair share, still a useful batch. */
    private static final int RECORDS_PER_SLICE = 64;
    private static final long RETRY_MS = 20;
    /** What {@link #serve} returns when the partition waits for Kafka. */
    private static final int WAITS = -1;
    /** What {@link #serve} returns when the ingest thread is between adding a record and publishing its offset. */
    private static final int RETRY = -2;
    /** The reason of a {@code Gap} for offsets Kafka no longer has. */
    static final String RETENTION = "retention: Kafka no longer has these offsets";

    private final Session session;
    private final Subscription subscription;
    /** The replayed partitions; the arrays below are indexed like it. */
    private final int[] partitions;
    /** Per partition: the last offset the client has. */
    private final long[] cursors;
    /** Per partition: whether it was handed to the live path. */
    private final boolean[] live;
    /** Per partition: whether a Kafka fetch is under way. */
    private final boolean[] fetching;
    /** Per partition: the Kafka chunk being sent, or null, and the index of its next record. */
    private final OlderRecords.Chunk[] chunks;
    private final int[] chunkNext;
    private final List<HistoryEntry> buffer = new ArrayList<>();
    /** Partitions not handed to the live path yet. */
    private int replaying;
    /** The partition whose turn is next. */
    private int turn;
    private boolean waiting;
    private boolean retryScheduled;
    private boolean cancelled;

    /** Replays {@code partitions} of {@code subscription}, each from its {@link Subscription#start}. */
    Replay(Session session, Subscription subscription, int[] partitions) {
        this.session = session;
        this.subscription = subscription;
        this.partitions = partitions;
        this.cursors = new long[partitions.length];
        for (int i = 0; i < partitions.length; i++) {
            cursors[i] = subscription.start(partitions[i]);
        }
        this.live = new boolean[partitions.length];
        this.fetching = new boolean[partitions.length];
        this.chunks = new OlderRecords.Chunk[partitions.length];
        this.chunkNext = new int[partitions.length];
        this.replaying = partitions.length;
    }

    private int indexOf(int partition) {
        for (int i = 0; i < partitions.length; i++) {
            if (partitions[i] == partition) {
                return i;
            }
        }
        return -1;
    }

    /** Whether the replay still owns {@code partition}: not handed to the live path yet. */
    boolean covers(int partition) {
        int i = indexOf(partition);
        return i >= 0 && !live[i];
    }

    /** The client's position in a partition that {@link #covers} says the replay owns. */
    long position(int partition) {
        int i = indexOf(partition);
        return i >= 0 ? cursors[i] : subscription.start(partition);
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
     * replaying for good and get no more records. Cut the connection instead; the client
     * resumes from its positions.
     */
    private void failed(Throwable e) {
        cancelled = true;
        log.error("replay of {} failed; cutting that connection", subscription.name(), e);
        session.services().metrics().deliveryFailed();
        session.abortAfterFailure();
    }

    /** Turns, round robin, while the connection is writable, until every partition is live. */
    private void replay() {
        int budget = RECORDS_PER_TURN;
        boolean retry = false;
        int idle = 0;
        while (replaying > 0) {
            if (!session.out().channelWritable()) {
                waiting = true;
                session.flush();
                return;
            }
            if (budget <= 0) {
                session.flush();
                session.ctx().executor().execute(this);
                return;
            }
            if (idle >= partitions.length) {
                // A full round without progress: each partition waits for Kafka or for the ingest thread.
                session.flush();
                if (retry && !retryScheduled) {
                    retryScheduled = true;
                    session.ctx().executor().schedule(this::retry, RETRY_MS, TimeUnit.MILLISECONDS);
                }
                return;
            }
            int i = turn;
            turn = (turn + 1) % partitions.length;
            int sent = live[i] || fetching[i] ? -1 : serve(i);
            if (sent == RETRY) {
                retry = true;
            }
            if (sent < 0) {
                idle++;
            } else {
                idle = 0;
                budget -= Math.max(1, sent);
            }
        }
        session.flush();
        cancelled = true;
        subscription.replayFinished();
    }

    private void retry() {
        retryScheduled = false;
        run();
    }

    /** One turn of partition {@code i}: the records it sent (0 when it only moved on), or {@link #WAITS}/{@link #RETRY}. */
    private int serve(int i) {
        int partition = partitions[i];
        if (chunks[i] != null) {
            return sendFromChunk(i);
        }
        PartitionLog log = subscription.log(partition);
        if (cursors[i] >= log.lastOffset()) {
            switchToLive(i);
            return 0;
        }
        long next = cursors[i] + 1;
        if (next >= log.startOffset()) {
            buffer.clear();
            boolean complete = log.read(next, RECORDS_PER_SLICE, buffer);
            int sent = buffer.size();
            if (complete && sent > 0) {
                for (HistoryEntry entry : buffer) {
                    send(i, entry);
                }
                buffer.clear();
                return sent;
            }
            buffer.clear();
            if (complete) {
                return RETRY;
            }
        }
        fetching[i] = true;
        session.services().catchUp().fetch(new TopicPartition(log.topic(), log.partition()), next,
                chunk -> session.ctx().executor().execute(() -> onChunk(i, chunk)));
        return WAITS;
    }

    private void onChunk(int i, OlderRecords.Chunk chunk) {
        if (cancelled || !session.delivering()) {
            return;
        }
        fetching[i] = false;
        try {
            if (cursors[i] + 1 < chunk.logStart()) {
                session.out().writeFrame(ServerFrames.gap(subscription.name().toString(), partitions[i], cursors[i] + 1,
                        chunk.logStart() - 1, RETENTION));
                session.services().metrics().gapSent();
                cursors[i] = chunk.logStart() - 1;
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            failed(e);
            return;
        }
        chunks[i] = chunk;
        chunkNext[i] = 0;
        if (!waiting) {
            run();
        }
    }

    /** Sends up to a slice of partition {@code i}'s Kafka chunk; past its end, moves the cursor to the chunk's end. */
    private int sendFromChunk(int i) {
        OlderRecords.Chunk chunk = chunks[i];
        List<HistoryEntry> records = chunk.records();
        int end = Math.min(records.size(), chunkNext[i] + RECORDS_PER_SLICE);
        int sent = 0;
        for (; chunkNext[i] < end; chunkNext[i]++) {
            if (send(i, records.get(chunkNext[i]))) {
                sent++;
            }
        }
        if (chunkNext[i] >= records.size()) {
            // Offsets up to the chunk's end that held no record (markers, compacted away) are passed too.
            cursors[i] = Math.max(cursors[i], chunk.nextOffset() - 1);
            chunks[i] = null;
        }
        return sent;
    }

    /**
     * Sends {@code entry} of partition {@code i} if it is after the cursor and the subscription wants it; moves
     * the cursor to it. Whether it was sent.
     */
    private boolean send(int i, HistoryEntry entry) {
        long offset = entry.offset();
        if (offset <= cursors[i]) {
            return false;
        }
        String topic = subscription.name().topic();
        boolean wanted = subscription.matches(topic, entry.key())
                && !session.deliveredByOther(subscription, topic, partitions[i], entry.key(), offset);
        if (wanted) {
            session.out().gatherReplayed(entry);
        }
        cursors[i] = offset;
        return wanted;
    }

    /** The live path takes over partition {@code i} after its cursor. */
    private void switchToLive(int i) {
        subscription.partitionCaughtUp(partitions[i], cursors[i], session.loopIndex());
        live[i] = true;
        replaying--;
    }
}
