package io.fanwire.loadtest;

import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What one virtual user has received on one channel, across all its connections, checked against what the
 * producer ({@link ProducedRecords}) sent: per key, the feed's records must arrive once each and in order (PROTOCOL.md
 * §4 rule 3), and every record the feed sent after the user's first {@code subscribed} reply must arrive
 * (§4 rule 4; records sent before it may or may not). Also keeps the user's position per partition (§4.2),
 * from which it resumes after a drop, as a Fanwire client does.
 *
 * <p>Thread: the user's event loop only (Gatling runs a virtual user on one event loop); not thread-safe.
 */
public final class DeliveryLedger {

    /** Receives the send and receive time of each of the feed's records this user got. */
    @FunctionalInterface
    public interface LatencySink {
        void delivered(long sentMillis, long receivedMillis);
    }

    private static final int EXAMPLES = 3;

    private final ProducedRecords feed;
    private final String channel;
    /** Feed key index per local key: one for a keyed channel, all the feed's keys for a whole topic. */
    private final int[] feedKeys;
    private final long[] mustFrom;
    private final long[] lastSeq;
    private final long[] counted;
    private final Map<Integer, Long> positions = new TreeMap<>();
    private final List<String> problems = new ArrayList<>();
    private long duplicates;
    private long gaps;
    private boolean started;
    private String goAway;

    /** A ledger for {@code channel}, which must be a channel the feed's keys cover. */
    public DeliveryLedger(ProducedRecords feed, String channel) {
        this.feed = feed;
        this.channel = channel;
        int slash = channel.indexOf('/');
        if (slash < 0) {
            feedKeys = new int[feed.keys().size()];
            for (int i = 0; i < feedKeys.length; i++) {
                feedKeys[i] = i;
            }
        } else {
            int k = feed.keyIndex(channel.substring(slash + 1));
            if (k < 0) {
                throw new IllegalArgumentException("the feed produces no key of channel " + channel);
            }
            feedKeys = new int[] {k};
        }
        mustFrom = new long[feedKeys.length];
        lastSeq = new long[feedKeys.length];
        counted = new long[feedKeys.length];
        java.util.Arrays.fill(lastSeq, -1);
    }

    public String channel() {
        return channel;
    }

    /**
     * A {@code subscribed} reply arrived: its positions are merged into the user's (§4.2 step 1). The first
     * one also fixes, per key, the first record that must arrive: the feed's next record at this moment.
     */
    public void onSubscribed(List<Position> replyPositions) {
        replyPositions.forEach(p -> positions.merge(p.getPartition(), p.getOffset(), Math::max));
        if (!started) {
            started = true;
            for (int i = 0; i < feedKeys.length; i++) {
                mustFrom[i] = feed.nextSeq(feedKeys[i]);
            }
        }
    }

    /** The positions to resume from: every partition of the channel's topic the user knows. */
    public List<Position> resumePositions() {
        List<Position> resume = new ArrayList<>(positions.size());
        positions.forEach((partition, offset) ->
                resume.add(Position.newBuilder().setPartition(partition).setOffset(offset).build()));
        return resume;
    }

    /** Takes in one frame received at {@code receivedMillis}; hands each of the feed's records to {@code sink}. */
    public void absorb(ServerFrame frame, long receivedMillis, LatencySink sink) {
        switch (frame.getKindCase()) {
            case MESSAGE -> onMessage(frame.getMessage(), receivedMillis, sink);
            case GAP -> onGap(frame.getGap());
            case GO_AWAY -> goAway = frame.getGoAway().getReason();
            case REPLY -> {
                if (frame.getReply().hasError()) {
                    note("error reply " + frame.getReply().getError().getCode() + ": "
                            + frame.getReply().getError().getMessage());
                }
            }
            default -> { }
        }
    }

    private void onMessage(Message message, long receivedMillis, LatencySink sink) {
        positions.merge(message.getPartition(), message.getOffset(), Math::max);
        String run = message.getHeadersMap().get(RecordFeed.RUN_HEADER);
        if (!feed.runId().equals(run) || message.getSnapshot()) {
            return;
        }
        int local = localKey(feed.keyIndex(message.getKey()));
        if (local < 0) {
            note("record of key " + message.getKey() + " on channel " + message.getChannel()
                    + ", which this user did not subscribe to");
            return;
        }
        long seq = Long.parseLong(message.getHeadersMap().getOrDefault(RecordFeed.SEQ_HEADER, "-1"));
        long sent = Long.parseLong(message.getHeadersMap().getOrDefault(RecordFeed.SENT_HEADER, "-1"));
        if (seq <= lastSeq[local]) {
            duplicates++;
            note("key " + message.getKey() + ": record " + seq + " after record " + lastSeq[local]
                    + " (partition " + message.getPartition() + ", offset " + message.getOffset() + ")");
            return;
        }
        lastSeq[local] = seq;
        if (seq >= mustFrom[local]) {
            counted[local]++;
        }
        if (sent > 0) {
            sink.delivered(sent, receivedMillis);
        }
    }

    private void onGap(Gap gap) {
        gaps++;
        note("Gap " + gap.getChannel() + " partition " + gap.getPartition() + " offsets " + gap.getFromOffset()
                + ".." + gap.getToOffset() + ": " + gap.getReason());
        positions.merge(gap.getPartition(), gap.getToOffset(), Math::max);
    }

    private int localKey(int feedKey) {
        for (int i = 0; i < feedKeys.length; i++) {
            if (feedKeys[i] == feedKey) {
                return i;
            }
        }
        return -1;
    }

    /** Records the user's own failure to read everything (its buffer overflowed), which loses records. */
    public void clientBufferFull(int held) {
        note("client buffer full: " + held + " messages arrived between two reads, older ones were dropped; "
                + "raise " + Knob.BUFFER_MESSAGES.key() + " or lower the rate per connection");
    }

    /** Records anything else that went wrong for this user, such as a frame it could not decode. */
    public void problem(String problem) {
        note(problem);
    }

    private void note(String problem) {
        if (problems.size() < EXAMPLES) {
            problems.add(problem);
        } else if (problems.size() == EXAMPLES) {
            problems.add("…");
        }
    }

    /** True when every record the feed sent so far that this user must get has arrived. */
    public boolean complete() {
        for (int i = 0; i < feedKeys.length; i++) {
            if (missing(i) > 0) {
                return false;
            }
        }
        return true;
    }

    private long missing(int local) {
        int k = feedKeys[local];
        long end = feed.nextSeq(k);
        return Math.max(0, end - mustFrom[local] - feed.failedBetween(k, mustFrom[local], end) - counted[local]);
    }

    /**
     * The verdict once the feed has finished: empty when every record that had to arrive did, once and in
     * order; else one line that names what went wrong (lost, duplicated or reordered records, gaps, the
     * reason of a GoAway).
     */
    public Optional<String> verdict() {
        if (!started) {
            return Optional.of("never subscribed to " + channel);
        }
        long due = 0;
        for (int i = 0; i < feedKeys.length; i++) {
            due += feed.nextSeq(feedKeys[i]) - mustFrom[i];
        }
        if (due == 0) {
            return Optional.of("the feed produced no record for " + channel + " while this user was subscribed, "
                    + "so nothing could be checked: is the load phase long enough for " + Knob.RATE.key() + "?");
        }
        long lost = 0;
        List<String> lostKeys = new ArrayList<>();
        for (int i = 0; i < feedKeys.length; i++) {
            long m = missing(i);
            if (m > 0) {
                lost += m;
                if (lostKeys.size() < EXAMPLES) {
                    lostKeys.add(feed.keys().get(feedKeys[i]) + " (" + m + " of " + (feed.nextSeq(feedKeys[i])
                            - mustFrom[i]) + ", last seen " + lastSeq[i] + ")");
                }
            }
        }
        if (lost == 0 && duplicates == 0 && gaps == 0 && problems.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder verdict = new StringBuilder(channel).append(": ");
        verdict.append(lost).append(" lost, ").append(duplicates).append(" twice or out of order");
        if (gaps > 0) {
            verdict.append(", ").append(gaps).append(" gaps");
        }
        if (!lostKeys.isEmpty()) {
            verdict.append("; lost in ").append(String.join(", ", lostKeys));
        }
        if (goAway != null) {
            verdict.append("; GoAway ").append(goAway);
        }
        if (!problems.isEmpty()) {
            verdict.append("; ").append(String.join("; ", problems));
        }
        return Optional.of(verdict.toString());
    }
}
