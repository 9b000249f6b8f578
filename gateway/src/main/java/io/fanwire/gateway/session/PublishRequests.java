package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.Limit;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.codec.ErrorCode;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.gateway.subscription.ChannelName;
import io.fanwire.protocol.v1.Publish;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.util.concurrent.EventExecutor;
import java.util.function.Consumer;
import org.apache.kafka.common.errors.RetriableException;

/**
 * The publish requests of one connection: checked against the access rules and limits ({@link Refusal} when
 * refused), then produced to Kafka ({@code acks=all}); the reply follows the broker's answer, on the loop.
 *
 * <p>Stateless: a connection costs no object of this class. Event loop only (the connection's), except the
 * producer's callback, which only hands the outcome back to the loop. The payload is copied out of the
 * request; no buffer is kept.
 */
final class PublishRequests {

    private PublishRequests() {
    }

    /**
     * Produces {@code publish} and replies {@code ok} through {@code reply}, on {@code session}'s loop, or
     * {@code UNAVAILABLE} when Kafka does not acknowledge.
     */
    static void publish(Session session, SessionCredentials credentials, long id, Publish publish,
                        Consumer<ServerFrame> reply) {
        SessionServices services = session.services();
        EventExecutor loop = session.ctx().executor();
        if (services.publisher() == null) {
            throw new Refusal(ErrorCode.FORBIDDEN, "publishing is disabled on this gateway");
        }
        ChannelName channel = SubscriptionRequests.channel(publish.getChannel(), services);
        if (!services.subscriptions().serves(channel.topic())) {
            throw new Refusal(ErrorCode.NOT_FOUND, "topic " + channel.topic() + " is not served");
        }
        if (!credentials.allows(AccessRules.Action.PUBLISH, publish.getChannel())) {
            throw new Refusal(ErrorCode.FORBIDDEN, "the access rules do not let this connection publish to "
                    + publish.getChannel());
        }
        if (publish.getPayload().size() > services.limits().maxPublishPayloadBytes()) {
            services.metrics().limitExceeded(Limit.PAYLOAD_SIZE);
            throw new Refusal(ErrorCode.LIMIT_EXCEEDED, "the payload is larger than "
                    + services.limits().maxPublishPayloadBytes() + " bytes");
        }
        services.publisher().publish(channel, publish.getPayload().toByteArray(), publish.getHeadersMap())
                .whenComplete((metadata, error) -> loop.execute(() -> {
                    if (error == null) {
                        services.metrics().published();
                        reply.accept(ServerFrames.ok(id));
                    } else {
                        reply.accept(ServerFrames.error(id, ErrorCode.UNAVAILABLE,
                                "Kafka did not acknowledge the publish: " + rootMessage(error)));
                    }
                }));
    }

    private static String rootMessage(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && !(cause instanceof RetriableException)) {
            cause = cause.getCause();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }
}
