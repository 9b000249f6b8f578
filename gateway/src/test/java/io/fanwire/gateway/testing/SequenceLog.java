package io.fanwire.gateway.testing;

import io.fanwire.protocol.v1.Gap;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private final Map<String, List<Long>> seqByKey = new HashMap<>();
    private final Set<String> seen = new HashSet<>();
    private final List<String> problems = new ArrayList<>();
    private final List<Gap> gaps = new ArrayList<>();
    private int received;
    private int discarded;

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
        long position = positions.getOrDefault(m.getPartition(), Long.MIN_VALUE);
        if (m.getOffset() <= position) {
            if (discard) {
                discarded++;
                return false;
            }
            problems.add("out of order or duplicate: partition " + m.getPartition() + " offset " + m.getOffset()
                    + " after " + position);
        }
        positions.put(m.getPartition(), Math.max(position, m.getOffset()));
        if (!seen.add(m.getPartition() + "@" + m.getOffset())) {
            problems.add("duplicate offset " + m.getPartition() + "@" + m.getOffset());
        }
        String[] parts = m.getPayload().toStringUtf8().split(":");
        seqByKey.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(Long.parseLong(parts[1]));
        received++;
        return true;
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

    /** Duplicates the client discarded by offset (records the server delivered twice across a reconnect). */
    public int discarded() {
        return discarded;
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
            List<Long> got = seqByKey.getOrDefault(e.getKey(), List.of());
            long expected = firstSeq.getOrDefault(e.getKey(), 0L);
            for (long seq : got) {
                if (seq != expected) {
                    all.add("key " + e.getKey() + ": expected seq " + expected + ", got " + seq);
                    break;
                }
                expected++;
            }
            if (expected != e.getValue()) {
                all.add("key " + e.getKey() + ": received up to seq " + (expected - 1) + " of " + (e.getValue() - 1));
            }
        }
        return all.isEmpty() ? null : String.join("\n", all.subList(0, Math.min(20, all.size())));
    }
}
