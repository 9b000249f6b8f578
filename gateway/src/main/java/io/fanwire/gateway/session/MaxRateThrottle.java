package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.EncodedRecord;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.subscription.ChannelName;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The {@code max_rate} of a connection's subscriptions: at most that many records per second per key, each
 * the latest value, like Lightstreamer's max frequency. A record that comes sooner than its key's next slot
 * is held, replacing an older held one; when the slot comes, the held record is delivered.
 *
 * <p>Which limit applies to a record: that of the subscriptions it matches ({@code TOPIC} and
 * {@code TOPIC/KEY}); if one of them has no limit, none applies; otherwise the highest rate does. Keyless
 * records of a limited whole-topic subscription share one slot.
 *
 * <p>Made only for connections that set a {@code max_rate}; others never reach it. Event loop only (its
 * session's), including its one timer, which reads {@code nanoTime} (replaceable for tests). Ownership: holds
 * one reference of each held record until it is delivered, replaced, no longer wanted, or
 * {@link #discard discarded}.
 */
final class MaxRateThrottle {

    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    /** One key's next free slot and the record waiting for it. */
    private static final class Slot {
        long nextNanos;
        long intervalNanos;
        EncodedRecord held;
    }

    private final EventExecutor executor;
    private final LongSupplier nanoTime;
    private final Subprotocol protocol;
    private final ByteBufAllocator alloc;
    private final GatewayMetrics metrics;
    private final Predicate<ChannelName> channels;
    private final Consumer<EncodedRecord> deliver;
    private final Runnable flush;
    private final Map<ChannelName, Double> rates = new HashMap<>();
    private final Map<ChannelName, Slot> slots = new HashMap<>();
    private final Runnable tick = this::tick;
    private long timerNanos = Long.MAX_VALUE;
    private long heldBytes;

    /**
     * @param nanoTime the clock of the slots, in nanoseconds; {@code executor} schedules the timer by it
     * @param channels whether the session subscribes to a channel, asked to find which limits apply
     * @param deliver writes a record whose slot came (the session's path past this throttle)
     * @param flush flushes the session after a timer delivered records
     */
    MaxRateThrottle(EventExecutor executor, LongSupplier nanoTime, Subprotocol protocol, ByteBufAllocator alloc,
                    GatewayMetrics metrics, Predicate<ChannelName> channels, Consumer<EncodedRecord> deliver,
                    Runnable flush) {
        this.executor = executor;
        this.nanoTime = nanoTime;
        this.protocol = protocol;
        this.alloc = alloc;
        this.metrics = metrics;
        this.channels = channels;
        this.deliver = deliver;
        this.flush = flush;
    }

    /** Sets (rate &gt; 0) or removes (0) the limit of a subscription. */
    void setRate(ChannelName channel, double maxRate) {
        if (maxRate > 0) {
            rates.put(channel, maxRate);
        } else {
            rates.remove(channel);
        }
    }

    /** Bytes of the held records' frames. */
    long heldBytes() {
        return heldBytes;
    }

    /**
     * The lowest offset of a record of {@code topic}'s {@code partition} held here, or {@link Long#MAX_VALUE}
     * when none is: the client has not been sent it, so its resume position must stay below it. A record that
     * a newer one of its key replaced is not counted: {@code max_rate} delivers each key's latest value.
     */
    long earliestOffset(String topic, int partition) {
        long earliest = Long.MAX_VALUE;
        for (Slot slot : slots.values()) {
            EncodedRecord held = slot.held;
            if (held != null && held.partition() == partition && held.topic().equals(topic)) {
                earliest = Math.min(earliest, held.offset());
            }
        }
        return earliest;
    }

    /**
     * True when {@code record} (the caller keeps its reference) waits for its key's slot, held here; false when
     * it may be delivered now.
     */
    boolean hold(EncodedRecord record) {
        long interval = intervalNanos(record);
        if (interval == 0) {
            return false;
        }
        long now = nanoTime.getAsLong();
        ChannelName key = new ChannelName(record.topic(), record.key());
        Slot slot = slots.get(key);
        if (slot == null) {
            slot = new Slot();
            slots.put(key, slot);
        } else if (now - slot.nextNanos < 0) {
            if (slot.held != null) {
                release(slot);
            }
            slot.held = record.retain();
            addHeld(size(record));
            return true;
        } else if (slot.held != null) {
            release(slot);
        }
        slot.intervalNanos = interval;
        slot.nextNanos = now + interval;
        arm(slot.nextNanos);
        return false;
    }

    /** Subscriptions changed: forget held records that no subscription wants any more. */
    void retainWanted() {
        for (Iterator<Slot> it = slots.values().iterator(); it.hasNext(); ) {
            Slot slot = it.next();
            if (slot.held != null && !wanted(slot.held)) {
                release(slot);
                it.remove();
            }
        }
    }

    /**
     * Delivers every held record now, before its slot: the connection is told to go away, and a client that
     * resumes elsewhere must not lose a key's latest value. Does not flush.
     */
    void deliverHeld() {
        // Taken out of the slots first: a delivery may close the session, which discards the slots.
        List<EncodedRecord> due = new ArrayList<>();
        for (Slot slot : slots.values()) {
            if (slot.held != null) {
                addHeld(-size(slot.held));
                due.add(slot.held);
                slot.held = null;
            }
        }
        for (EncodedRecord record : due) {
            try {
                deliver.accept(record);
            } finally {
                record.release();
            }
        }
    }

    /** Releases every held record: the connection is closed. */
    void discard() {
        for (Slot slot : slots.values()) {
            if (slot.held != null) {
                release(slot);
            }
        }
        slots.clear();
        rates.clear();
    }

    private void tick() {
        timerNanos = Long.MAX_VALUE;
        long now = nanoTime.getAsLong();
        long earliest = Long.MAX_VALUE;
        boolean delivered = false;
        for (Iterator<Slot> it = slots.values().iterator(); it.hasNext(); ) {
            Slot slot = it.next();
            if (now - slot.nextNanos < 0) {
                earliest = Math.min(earliest, slot.nextNanos);
            } else if (slot.held == null) {
                it.remove();
            } else {
                EncodedRecord record = slot.held;
                slot.held = null;
                addHeld(-size(record));
                try {
                    deliver.accept(record);
                } finally {
                    record.release();
                }
                delivered = true;
                slot.nextNanos = now + slot.intervalNanos;
                earliest = Math.min(earliest, slot.nextNanos);
            }
        }
        if (delivered) {
            flush.run();
        }
        if (earliest != Long.MAX_VALUE) {
            arm(earliest);
        }
    }

    /** Makes sure the timer runs by {@code atNanos}; a timer that fires early just re-arms. */
    private void arm(long atNanos) {
        if (timerNanos != Long.MAX_VALUE && timerNanos - atNanos <= 0) {
            return;
        }
        timerNanos = atNanos;
        executor.schedule(tick, Math.max(0, atNanos - nanoTime.getAsLong()), TimeUnit.NANOSECONDS);
    }

    private long intervalNanos(EncodedRecord record) {
        double rate = 0;
        ChannelName whole = new ChannelName(record.topic(), null);
        if (channels.test(whole)) {
            Double limit = rates.get(whole);
            if (limit == null) {
                return 0;
            }
            rate = limit;
        }
        if (record.key() != null) {
            ChannelName keyed = new ChannelName(record.topic(), record.key());
            if (channels.test(keyed)) {
                Double limit = rates.get(keyed);
                if (limit == null) {
                    return 0;
                }
                rate = Math.max(rate, limit);
            }
        }
        return rate == 0 ? 0 : (long) (NANOS_PER_SECOND / rate);
    }

    private boolean wanted(EncodedRecord record) {
        return channels.test(new ChannelName(record.topic(), null))
                || record.key() != null && channels.test(new ChannelName(record.topic(), record.key()));
    }

    private void release(Slot slot) {
        addHeld(-size(slot.held));
        slot.held.release();
        slot.held = null;
    }

    private void addHeld(long delta) {
        heldBytes += delta;
        metrics.heldBytesChanged(delta);
    }

    private int size(EncodedRecord record) {
        return record.frame(protocol, alloc).readableBytes();
    }
}
