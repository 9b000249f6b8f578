package io.fanwire.loadtest;

import java.util.List;

/**
 * What a producer has sent so far, as a {@link DeliveryLedger} checks a user's deliveries against it: per
 * key, how many records are numbered, and which of them Kafka did not acknowledge. {@link RecordFeed} is
 * the one the simulations use.
 *
 * <p>Implementations are read from any thread.
 */
public interface ProducedRecords {

    /** The value of the {@value RecordFeed#RUN_HEADER} header on this producer's records. */
    String runId();

    /** The keys produced to, in a stable order; a key's position is its index. */
    List<String> keys();

    /** The index of {@code key} in {@link #keys()}, or -1. */
    int keyIndex(String key);

    /** How many records of key {@code k} have been sent so far: the next one's number. */
    long nextSeq(int k);

    /** How many records of key {@code k} numbered in [from, to) Kafka did not acknowledge. */
    int failedBetween(int k, long from, long to);
}
