package io.fanwire.gateway.session;

import io.fanwire.gateway.history.PartitionLog;
import io.fanwire.protocol.v1.ChannelPositions;
import io.fanwire.protocol.v1.GoAway;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.ServerFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a connection's client stands: per subscription and partition, the offset up to which everything of the
 * channel has been sent to it or preceded its subscription. What a {@code Subscribed} reply and a
 * {@code GoAway} carry, so that the client can resume on this node or another (PROTOCOL.md §4.2).
 *
 * <p>A position comes from the subscription ({@link Subscription#position}: its replay's cursor, or what the
 * loop has processed, its start and its skip position), lowered below any record the connection's
 * {@link Backpressure} still holds or dropped, or its {@link MaxRateThrottle} holds for a later slot: the client
 * has not seen those, and a {@code GoAway} discards them.
 *
 * <p>Event loop only (the session's). Stateless; holds no buffers.
 */
final class ResumePoints {

    private ResumePoints() {
    }

    /** Where the client stands in each partition of {@code subscription}'s topic that this node knows. */
    static List<Position> positions(Session session, Subscription subscription) {
        String topic = subscription.name().topic();
        PartitionLog[] logs = session.services().history().partitions(topic);
        Backpressure behind = session.backpressure();
        MaxRateThrottle throttle = session.throttle();
        List<Position> positions = new ArrayList<>(logs.length);
        for (int p = 0; p < logs.length; p++) {
            if (logs[p] == null) {
                continue;
            }
            long position = subscription.position(p, logs[p], session.loopIndex());
            long held = behind == null ? Long.MAX_VALUE : behind.earliestOffset(topic, p);
            if (throttle != null) {
                held = Math.min(held, throttle.earliestOffset(topic, p));
            }
            if (held != Long.MAX_VALUE) {
                position = Math.min(position, held - 1);
            }
            positions.add(Position.newBuilder().setPartition(p).setOffset(position).build());
        }
        return positions;
    }

    /**
     * The GoAway that precedes a close the server starts: where the client stands in every channel, so that it
     * can resume elsewhere; {@code resume_from} too when all its channels are on one topic.
     */
    static ServerFrame goAway(Session session, String reason, long reconnectWithinMs, long closeInMs) {
        GoAway.Builder goAway = GoAway.newBuilder().setReason(reason)
                .setReconnectWithinMs(reconnectWithinMs).setCloseInMs(closeInMs);
        String onlyTopic = null;
        boolean oneTopic = true;
        // resume_from: per partition the lowest position of any channel, which is safe for each of them.
        Map<Integer, Long> lowest = new TreeMap<>();
        for (int i = 0; i < session.subscriptionCount(); i++) {
            Subscription subscription = session.subscription(i);
            List<Position> positions = positions(session, subscription);
            goAway.addChannels(ChannelPositions.newBuilder().setChannel(subscription.name().toString())
                    .addAllPositions(positions));
            oneTopic &= onlyTopic == null || onlyTopic.equals(subscription.name().topic());
            onlyTopic = subscription.name().topic();
            for (Position position : positions) {
                lowest.merge(position.getPartition(), position.getOffset(), Math::min);
            }
        }
        if (oneTopic) {
            lowest.forEach((partition, offset) ->
                    goAway.addResumeFrom(Position.newBuilder().setPartition(partition).setOffset(offset)));
        }
        return ServerFrame.newBuilder().setGoAway(goAway).build();
    }
}
