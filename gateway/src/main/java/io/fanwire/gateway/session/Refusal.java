package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.codec.ErrorCode;
import io.fanwire.gateway.codec.ServerFrames;
import io.fanwire.protocol.v1.ServerFrame;

/**
 * A request the gateway refuses: its stable {@link ErrorCode} and a sentence a person understands. The request
 * classes ({@link SubscriptionRequests}, {@link PublishRequests}, {@link SessionCredentials}) throw it; the
 * {@link SessionHandler} turns it into the error reply, in one place ({@link #reply}). Metrics that name a
 * particular limit or rule are counted where the refusal is thrown; every {@code BAD_REQUEST} is counted here.
 *
 * <p>Made without a stack trace: it is a reply, not a failure, and a client may cause many. Any thread.
 */
final class Refusal extends RuntimeException {

    private final ErrorCode code;

    Refusal(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    /** A frame that could not be decoded, or a field that is not valid. */
    static Refusal badRequest(String message) {
        return new Refusal(ErrorCode.BAD_REQUEST, message);
    }

    ErrorCode code() {
        return code;
    }

    /** The error reply to request {@code id} (0 when it had none or could not be decoded). */
    ServerFrame reply(long id, GatewayMetrics metrics) {
        if (code == ErrorCode.BAD_REQUEST) {
            metrics.badRequest();
        }
        return ServerFrames.error(id, code, getMessage());
    }
}
