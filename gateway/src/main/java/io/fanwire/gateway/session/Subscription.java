package io.fanwire.gateway.session;

import io.fanwire.gateway.history.PartitionLog;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.gateway.history.LastValue;
import java.util.Arrays;
import java.util.Iterator;

/**
 * One subscription of a connection, and the one owner of its delivery state: where delivery started in each
 * partition, which live records it leaves alone while it resumes or sends its snapshot, and the seam where its
 * {@link Replay} hands a partition over to the live path. The subscribe request, the replay and the session
 * change it only through the transitions below.
 *
 * <pre>
 *   SUBSCRIBING ─ startLive ────────────────────────────────────────────────▶ LIVE ─ unsubscribe ─▶ UNSUBSCRIBED
 *        ├─────── startSnapshot ─▶ SNAPSHOT ─ snapshotSent ─▶ REPLAYING ─ replayFinished ─▶ LIVE
 *        └─────── startReplay ───────────────────────────────▶ REPLAYING
 *                                  (partitionCaughtUp, once per replayed partition)
 * </pre>
 * (docs/architecture.md draws the same machine.)
 *
 * <p>Skip positions: while a subscription resumes or sends its snapshot it has a skip position per partition,
 * and the live path delivers a record through it only after that position ({@link #takesLive}). A replayed
 * partition's position is "everything" until the replay catches up; then it is the replay's last offset, so
 * that live records at or below it, still queued for the loop, are not delivered twice; the first live record
 * after it ends the skip. While a snapshot streams, every partition is left to the replay that follows it,
 * which starts at the offsets the snapshot's values were taken at. Once no partition
 * skips anything the subscription stops filtering, and the session's write path checks nothing for it again.
 *
 * <p>Event loop only (the connection's). Holds no buffers.
 */
final class Subscription {

    /** Where a subscription is in its life; see the class comment. */
    enum Phase { SUBSCRIBING, SNAPSHOT, REPLAYING, LIVE, UNSUBSCRIBED }

    /** Skip position: the live path delivers every record of the partition. */
    private static final long NO_SKIP = Long.MIN_VALUE;
    /** Skip position: the partition is being replayed; its live records are left to the replay. */
    private static final long REPLAYED = Long.MAX_VALUE;

    private final Session session;
    private final ChannelName name;
    /** The topic's partitions when the subscription was made, indexed by partition number (shared; read-only). */
    private final PartitionLog[] logs;
    /**
     * Per partition: the offset up to which the client counts as having seen this channel when delivery
     * started: the client's resume position, or where live delivery started ({@code Subscribed.positions}).
     */
    private final long[] start;
    /** The partitions the client gave a resume position for; empty when it gave none. */
    private final int[] resumed;
    /** Null while the subscription filters nothing; else the skip position per partition. */
    private long[] skip;
    private Replay replay;
    private SnapshotSender snapshot;
    private Phase phase = Phase.SUBSCRIBING;

    /**
     * A subscription of {@code session} to {@code name}, whose partitions are {@code logs}; {@code resumeFrom}
     * holds the client's position per partition ({@link ResumePositions#LIVE} where it gave none), or is null
     * when it gave none at all. Live delivery starts after each partition's last offset read so far.
     */
    Subscription(Session session, ChannelName name, PartitionLog[] logs, long[] resumeFrom) {
        this.session = session;
        this.name = name;
        this.logs = logs;
        this.start = new long[logs.length];
        int resuming = 0;
        for (int p = 0; p < logs.length; p++) {
            boolean resumes = resumeFrom != null && resumeFrom[p] != ResumePositions.LIVE;
            start[p] = resumes ? resumeFrom[p] : logs[p] == null ? -1 : logs[p].lastOffset();
            resuming += resumes ? 1 : 0;
        }
        this.resumed = new int[resuming];
        for (int p = 0, n = 0; p < logs.length; p++) {
            if (resumeFrom != null && resumeFrom[p] != ResumePositions.LIVE) {
                resumed[n++] = p;
            }
        }
    }

    ChannelName name() {
        return name;
    }

    Phase phase() {
        return phase;
    }

    /** Whether the live path must ask {@link #takesLive} before it delivers a record through this subscription. */
    boolean filters() {
        return skip != null;
    }

    /** Whether a record of {@code topic} with {@code key} (null: keyless) belongs to this channel. */
    boolean matches(String topic, String key) {
        return name.topic().equals(topic) && (name.key() == null || name.key().equals(key));
    }

    /** The log of {@code partition} as it was when the subscription was made. */
    PartitionLog log(int partition) {
        return logs[partition];
    }

    /** Where delivery started in {@code partition}: the client had everything up to this offset. */
    long start(int partition) {
        return start[partition];
    }

    /** Whether the record at {@code offset} of {@code partition} comes after the subscription's start. */
    boolean afterStart(int partition, long offset) {
        return partition >= start.length || offset > start[partition];
    }

    /** Whether the live path, not a replay, owns {@code partition} now. */
    boolean liveIn(int partition) {
        return skip == null || partition >= skip.length || skip[partition] != REPLAYED;
    }

    // ---- transitions ------------------------------------------------------------------------------------

    /** SUBSCRIBING → LIVE: plain live delivery from the start positions on. */
    void startLive() {
        expect(Phase.SUBSCRIBING);
        phase = Phase.LIVE;
    }

    /**
     * SUBSCRIBING → SNAPSHOT: returns the (not yet started) sender of the last values {@code values}. Until it is
     * done the live path leaves every partition to the replay that follows ({@link #snapshotSent}).
     */
    SnapshotSender startSnapshot(Iterator<LastValue> values) {
        expect(Phase.SUBSCRIBING);
        skip = new long[logs.length];
        for (int p = 0; p < logs.length; p++) {
            skip[p] = logs[p] == null ? NO_SKIP : REPLAYED;
        }
        snapshot = new SnapshotSender(session, this, values);
        phase = Phase.SNAPSHOT;
        return snapshot;
    }

    /** Whether the snapshot value at {@code offset} of {@code partition} is at or below the start position. */
    boolean inSnapshot(int partition, long offset) {
        return partition < start.length && offset <= start[partition];
    }

    /**
     * SNAPSHOT → REPLAYING: the values are written; returns the (not yet started) replay of every record after
     * the start positions, which hands each partition to the live path. LIVE at once when no partition is known.
     */
    Replay snapshotSent() {
        expect(Phase.SNAPSHOT);
        snapshot = null;
        int known = 0;
        for (PartitionLog log : logs) {
            known += log == null ? 0 : 1;
        }
        if (known == 0) {
            phase = Phase.LIVE;
            endSeamIfDone();
            return null;
        }
        int[] partitions = new int[known];
        for (int p = 0, n = 0; p < logs.length; p++) {
            if (logs[p] != null) {
                partitions[n++] = p;
            }
        }
        replay = new Replay(session, this, partitions);
        phase = Phase.REPLAYING;
        return replay;
    }

    /**
     * SUBSCRIBING → REPLAYING: the partitions the client gave positions for are left to the returned replay
     * (not yet started); the others are live at once.
     */
    Replay startReplay() {
        expect(Phase.SUBSCRIBING);
        if (resumed.length == 0) {
            throw new IllegalStateException(name + " has no resume position to replay from");
        }
        skip = new long[logs.length];
        Arrays.fill(skip, NO_SKIP);
        for (int p : resumed) {
            skip[p] = REPLAYED;
        }
        replay = new Replay(session, this, resumed.clone());
        phase = Phase.REPLAYING;
        return replay;
    }

    /**
     * The replay caught up in {@code partition} at {@code cursor} (REPLAYING, once per partition): the live path
     * takes over after the cursor, skipping the records at or below it that are still queued for this loop,
     * unless the loop is past them already.
     */
    void partitionCaughtUp(int partition, long cursor, int loopIndex) {
        expect(Phase.REPLAYING);
        skip[partition] = logs[partition].loopPosition(loopIndex) >= cursor ? NO_SKIP : cursor;
    }

    /** REPLAYING → LIVE: every replayed partition was handed over. */
    void replayFinished() {
        expect(Phase.REPLAYING);
        replay = null;
        phase = Phase.LIVE;
        endSeamIfDone();
    }

    /** Any phase → UNSUBSCRIBED: stops the replay, if any, and every check of the live path. Idempotent. */
    void unsubscribe() {
        if (snapshot != null) {
            snapshot.cancel();
            snapshot = null;
        }
        if (replay != null) {
            replay.cancel();
            replay = null;
        }
        phase = Phase.UNSUBSCRIBED;
        if (skip != null) {
            skip = null;
            session.filteringEnded();
        }
    }

    /** The connection can take writes again: a snapshot or replay that waited for it goes on. */
    void connectionWritable() {
        if (snapshot != null) {
            snapshot.writable();
        }
        if (replay != null) {
            replay.writable();
        }
    }

    // ---- the live path ----------------------------------------------------------------------------------

    /**
     * Whether the live path delivers the record at {@code offset} of {@code partition} through this (matching)
     * subscription. Live records of a partition come in offset order, so the first one past a skip position
     * ends that partition's skip, and the last one ends the filtering.
     */
    boolean takesLive(int partition, long offset) {
        if (skip == null || partition >= skip.length) {
            return true;
        }
        if (offset <= skip[partition]) {
            return false;
        }
        skip[partition] = NO_SKIP;
        endSeamIfDone();
        return true;
    }

    /**
     * Where the client stands in {@code partition} ({@code log}, as the history knows it now) through this
     * subscription: everything up to the returned offset was sent to it or preceded the subscription. Not yet
     * lowered for records the session holds back for it; the session does that.
     */
    long position(int partition, PartitionLog log, int loopIndex) {
        if (replay != null && replay.covers(partition)) {
            return replay.position(partition);
        }
        if (phase == Phase.SNAPSHOT && !liveIn(partition)) {
            return start[partition]; // records after it wait for the replay that follows the snapshot
        }
        long position = log.loopPosition(loopIndex);
        if (partition < start.length) {
            position = Math.max(position, start[partition]);
        }
        if (skip != null && partition < skip.length && skip[partition] != REPLAYED) {
            position = Math.max(position, skip[partition]);
        }
        return position;
    }

    private void endSeamIfDone() {
        if (skip == null || replay != null) {
            return;
        }
        for (long s : skip) {
            if (s != NO_SKIP) {
                return;
            }
        }
        skip = null;
        session.filteringEnded();
    }

    private void expect(Phase expected) {
        if (phase != expected) {
            throw new IllegalStateException(name + " is " + phase + ", not " + expected);
        }
    }

    @Override
    public String toString() {
        return name + " (" + phase + ")";
    }
}
