package io.fanwire.client;

/**
 * Records {@link #fromOffset()}..{@link #toOffset()} (inclusive) of a partition that will not be delivered to a
 * subscription: Kafka's retention deleted them before a resume reached them, or the gateway dropped them for a
 * slow consumer (PROTOCOL.md §3.2, §4.1). The subscription's position in that partition is now at least
 * {@code toOffset}. Immutable.
 *
 * @param channel    what the gap concerns as the gateway named it: the subscribed channel, or its topic
 * @param partition  the Kafka partition
 * @param fromOffset first offset missing
 * @param toOffset   last offset missing
 * @param reason     why, for people ({@code retention: ...}, {@code slow consumer})
 */
public record Gap(String channel, int partition, long fromOffset, long toOffset, String reason) {
}
