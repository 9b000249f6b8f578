package io.fanwire.gateway.testing;

import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one client received of records whose payload is {@code KEY:SEQ} (SEQ counting from 0 per key, as
 * {@link SequenceProducer} writes them), and the verdict: per key, contiguous sequence numbers, no loss, no
 * duplicate. Tracks the client's position per partition, as a resuming client must.
 *
 * <p>Two modes: {@link #strict} counts any record delivered twice as a duplicate; {@link #discardingByOffset}
 * is the loss-free client of PROTOCOL.md, which drops a record at or below its position in that partition.
 * Not thread-safe: feed it from one thread.
 */
public final class SequenceLog {

    private final boolean discard;
    private final Map<Integer, Long> positions = new TreeMap<>();
    /** Per key, O(1) memory: soak runs feed millions of records through thousands of logs. */
    private final Map<String, KeySequence> seqByKey = new HashMap<>();
    private final List<String> problems = new ArrayList<>();
    private final List<Gap> gaps = new ArrayList<>();
    private int received;
    private int discarded;
    /** Strict mode: records at or below the position, i.e. handed to the application twice (or out of order). */
    private int duplicates;
    private final StringBuilder discards = new StringBuilder();

    private SequenceLog(boolean discard) {
        this.discard = discard;
    }

    public static SequenceLog strict() {
        return new SequenceLog(false);
    }

    public static SequenceLog discardingByOffset() {
        return new SequenceLog(true);
    }

    /** Takes one message; returns false if it was a duplicate that the client discarded. */
    public boolean accept(Message m) {
        return accept(m.getPartition(), m.getOffset(), m.getPayload().toStringUtf8());
    }

    /** Takes one record as an application got it; returns false if it was a duplicate that the log discarded. */
    public boolean accept(int partition, long offset, String payload) {
        long position = positions.getOrDefault(partition, Long.MIN_VALUE);
        if (offset <= position) {
            if (discard) {
                if (discarded++ < 3) {
                    discards.append(partition).append('@').append(offset).append(" (").append(
                            payload).append(") at ").append(position).append("; ");
                }
                return false;
            }
            duplicates++;
            problem("out of order or duplicate: partition " + partition + " offset " + offset
                    + " after " + position);
        }
        positions.put(partition, Math.max(position, offset));
        String[] parts = payload.split(":");
        long seq = Long.parseLong(parts[1]);
        KeySequence sequence = seqByKey.get(parts[0]);
        if (sequence == null) {
            seqByKey.put(parts[0], new KeySequence(seq));
        } else {
            sequence.next(seq);
        }
        received++;
        return true;
    }

    private void problem(String problem) {
        if (problems.size() < 20) {
            problems.add(problem);
        }
    }

    public void gap(Gap gap) {
        gaps.add(gap);
        positions.merge(gap.getPartition(), gap.getToOffset(), Math::max);
    }

    /** Adopts positions the server told (Subscribed or GoAway) where the client has none yet, or older ones. */
    public void adopt(List<Position> serverPositions) {
        for (Position p : serverPositions) {
            positions.merge(p.getPartition(), p.getOffset(), Math::max);
        }
    }

    /** Where this client stands: what it puts in {@code resume_from}. */
    public List<Position> positions() {
        List<Position> list = new ArrayList<>();
        positions.forEach((p, o) -> list.add(Position.newBuilder().setPartition(p).setOffset(o).build()));
        return list;
    }

    public int received() {
        return received;
    }

    /** Each key's first break in its sequence numbers and where it stands, for a failing test's message. */
    public String breaks() {
        StringBuilder out = new StringBuilder();
        seqByKey.forEach((key, seq) -> out.append(key).append(": next ").append(seq.next)
                .append(seq.firstBreak == null ? "" : ", " + seq.firstBreak).append("; "));
        return out + " discarded " + discarded + ": " + discards;
    }

    /** Duplicates the client discarded by offset (records the server delivered twice across a reconnect). */
    public int discarded() {
        return discarded;
    }

    /** Strict mode: records that came at or below the position (a duplicate or out of order). */
    public int duplicates() {
        return duplicates;
    }

    /** Records of {@code sentPerKey} that never came: per key, the sequence numbers not received. */
    public long lost(Map<String, Integer> sentPerKey) {
        long lost = 0;
        for (Map.Entry<String, Integer> e : sentPerKey.entrySet()) {
            KeySequence got = seqByKey.get(e.getKey());
            lost += got == null ? e.getValue() : Math.max(0, e.getValue() - got.distinct);
        }
        return lost;
    }

    public List<Gap> gaps() {
        return gaps;
    }

    /** Null when every key in {@code sentPerKey} was received as exactly 0..n-1 in order; else what is wrong. */
    public String verdict(Map<String, Integer> sentPerKey) {
        return verdict(sentPerKey, Map.of());
    }

    /** As {@link #verdict(Map)}, where key k's sequence starts at {@code firstSeq.get(k)} (default 0). */
    public String verdict(Map<String, Integer> sentPerKey, Map<String, Long> firstSeq) {
        List<String> all = new ArrayList<>(problems);
        for (Map.Entry<String, Integer> e : sentPerKey.entrySet()) {
            KeySequence got = seqByKey.get(e.getKey());
            long first = firstSeq.getOrDefault(e.getKey(), 0L);
            if (got == null) {
                if (e.getValue() > first) {
                    all.add("key " + e.getKey() + ": received nothing of seq " + first + ".." + (e.getValue() - 1));
                }
                continue;
            }
            if (got.first != first) {
                all.add("key " + e.getKey() + ": expected seq " + first + ", got " + got.first);
            } else if (got.firstBreak != null) {
                all.add("key " + e.getKey() + ": " + got.firstBreak);
            } else if (got.next != e.getValue()) {
                all.add("key " + e.getKey() + ": received up to seq " + (got.next - 1) + " of " + (e.getValue() - 1));
            }
        }
        return all.isEmpty() ? null : String.join("\n", all.subList(0, Math.min(20, all.size())));
    }

    /** The sequence numbers of one key seen so far: where they started, what comes next, the first break. */
    private static final class KeySequence {
        final long first;
        long next;
        /** Records counted once: each that came after every one seen (not at or below one). */
        long distinct = 1;
        String firstBreak;

        KeySequence(long first) {
            this.first = first;
            this.next = first + 1;
        }

        void next(long seq) {
            if (seq != next && firstBreak == null) {
                firstBreak = "expected seq " + next + ", got " + seq;
            }
            if (seq >= next) {
                distinct++;
                next = seq + 1;
            }
        }
    }
}
