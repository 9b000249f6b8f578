package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.Limit;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.codec.ErrorCode;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.history.PartitionLog;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import java.util.function.Consumer;

/**
 * The subscribe and unsubscribe requests of one connection: the checks (each a {@link Refusal}), the
 * registration in the loop's subscription table and the session, the {@code Subscribed} reply with where
 * delivery starts, and then the replay or the snapshot that comes before live records
 * ({@link Subscription}'s transitions).
 *
 * <p>Order, which makes resume and snapshot exact: the subscription is registered in the loop's table BEFORE
 * its start positions are read, so every record after them reaches this loop (the ingest thread records an
 * offset before it checks which loops want the record); the reply goes out before the first replayed or
 * snapshot record.
 *
 * <p>Stateless: a connection costs no object of this class (every connection's heap counts). Event loop only
 * (the connection's). The replay ({@link Replay}) and the snapshot ({@link SnapshotSender}) write through the
 * session's {@link OutboundWriter}.
 */
final class SubscriptionRequests {

    /** Smallest {@code max_rate} accepted: one update per 100 s. */
    static final double MIN_MAX_RATE = 0.01;

    private SubscriptionRequests() {
    }

    /** {@link ChannelName#parse} that counts channels over {@code ws.max.channel.length}; refuses bad names. */
    static ChannelName channel(String name, SessionServices services) {
        if (name.length() > services.settings().maxChannelLength()) {
            services.metrics().limitExceeded(Limit.CHANNEL_LENGTH);
        }
        try {
            return ChannelName.parse(name, services.settings().maxChannelLength());
        } catch (IllegalArgumentException e) {
            throw Refusal.badRequest(e.getMessage());
        }
    }

    /**
     * Subscribes {@code session}, replies {@code Subscribed} through {@code reply}, then replays or sends the
     * snapshot if asked to.
     */
    static void subscribe(Session session, SessionCredentials credentials, long id, Subscribe subscribe,
                          Consumer<ServerFrame> reply) {
        SessionServices services = session.services();
        if (subscribe.getSnapshot() && subscribe.getResumeFromCount() > 0) {
            throw Refusal.badRequest("snapshot and resume_from cannot be combined: a resume delivers every "
                    + "record after the positions, a snapshot the last value of each key");
        }
        double maxRate = subscribe.getMaxRate();
        if (!(maxRate == 0 || maxRate >= MIN_MAX_RATE && maxRate <= Double.MAX_VALUE)) {
            throw Refusal.badRequest("max_rate must be 0 (no limit) or a number of updates per second from "
                    + MIN_MAX_RATE + ", not " + maxRate);
        }
        ChannelName channel = channel(subscribe.getChannel(), services);
        if (!services.subscriptions().serves(channel.topic())) {
            throw new Refusal(ErrorCode.NOT_FOUND, "topic " + channel.topic() + " is not served");
        }
        channel = services.subscriptions().canonical(channel);
        if (!credentials.allows(AccessRules.Action.SUBSCRIBE, subscribe.getChannel())) {
            throw new Refusal(ErrorCode.FORBIDDEN, "the access rules do not let this connection subscribe to "
                    + subscribe.getChannel());
        }
        if (subscribe.getSnapshot() && !services.lastValues().keeps(channel.topic())) {
            throw Refusal.badRequest("topic " + channel.topic() + " keeps no snapshots on this gateway "
                    + "(see snapshot.topics)");
        }
        Subscription existing = session.subscription(channel);
        if (existing != null) {
            if (subscribe.getResumeFromCount() > 0 || subscribe.getSnapshot()) {
                throw Refusal.badRequest("channel " + channel + " is already subscribed on this connection: "
                        + "unsubscribe it first to resume it or get its snapshot");
            }
            // Subscribing again sets the channel's limit anew.
            session.maxRate(channel, maxRate);
            reply.accept(ServerFrames.subscribed(id, ResumePoints.positions(session, existing)));
            return;
        }
        if (session.subscriptionCount() >= services.settings().maxSubscriptions()) {
            services.metrics().limitExceeded(Limit.SUBSCRIPTIONS);
            throw new Refusal(ErrorCode.LIMIT_EXCEEDED,
                    "this connection already holds " + services.settings().maxSubscriptions() + " subscriptions");
        }
        PartitionLog[] logs = services.history().partitions(channel.topic());
        if (logs.length == 0) {
            // Without partitions the reply could name no position, and a client that lost its connection before
            // its first record would resume live and miss what was written meanwhile.
            throw new Refusal(ErrorCode.UNAVAILABLE, "topic " + channel.topic() + " has no partitions on this "
                    + "gateway yet (Kafka does not have it, or its metadata is loading): subscribe again later");
        }
        long[] resumeFrom;
        try {
            resumeFrom = ResumePositions.parse(subscribe.getResumeFromList(), logs, channel);
        } catch (IllegalArgumentException e) {
            throw Refusal.badRequest(e.getMessage());
        }
        services.subscriptions().add(session.loopIndex(), session, channel);
        services.metrics().subscriptionsChanged(1);
        Subscription subscription = new Subscription(session, channel, logs, resumeFrom);
        Runnable first = null;
        if (resumeFrom != null) {
            first = subscription.startReplay();
        } else if (subscribe.getSnapshot()) {
            first = subscription.startSnapshot(services.lastValues().values(channel.topic(), channel.key()));
        } else {
            subscription.startLive();
        }
        session.add(subscription);
        session.maxRate(channel, maxRate);
        reply.accept(ServerFrames.subscribed(id, ResumePoints.positions(session, subscription)));
        if (first != null) {
            first.run();
        }
    }

    /** Unsubscribes {@code session} from {@code name} and replies {@code ok}, also when it was not subscribed. */
    static void unsubscribe(Session session, long id, String name, Consumer<ServerFrame> reply) {
        SessionServices services = session.services();
        ChannelName channel = channel(name, services);
        if (session.remove(channel) != null) {
            services.subscriptions().remove(session.loopIndex(), session, channel);
            services.metrics().subscriptionsChanged(-1);
        }
        reply.accept(ServerFrames.ok(id));
    }

    /** The connection closed: drops every subscription from the session and the loop's table. */
    static void unsubscribeAll(Session session) {
        SessionServices services = session.services();
        int removed = 0;
        while (session.subscriptionCount() > 0) {
            ChannelName channel = session.subscription(session.subscriptionCount() - 1).name();
            session.remove(channel);
            if (services.subscriptions().remove(session.loopIndex(), session, channel)) {
                removed++;
            }
        }
        services.metrics().subscriptionsChanged(-removed);
    }
}
