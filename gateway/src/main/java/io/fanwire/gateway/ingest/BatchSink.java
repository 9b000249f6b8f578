package io.fanwire.gateway.ingest;

import io.fanwire.gateway.codec.EncodedRecord;
import java.util.List;

/**
 * Where the ingest thread hands each poll batch: in the gateway, the fan-out to the event loops. Owned by
 * ingest, the side that calls it, so that ingest depends on no consumer of its records.
 *
 * <p>Ownership: {@link #dispatch} borrows the batch's records; it retains each one it keeps beyond the call,
 * and the ingest thread releases its own reference afterwards.
 */
public interface BatchSink {

    /**
     * True while the receivers are behind: the ingest thread stops polling until it turns false, so that a
     * backlog stays in Kafka instead of on the heap. Any thread.
     */
    boolean backlogged();

    /** Takes {@code batch}, in order (Kafka's order within each partition). Ingest thread. */
    void dispatch(List<EncodedRecord> batch);
}
