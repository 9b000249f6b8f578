package io.fanwire.gateway.codec;

/** The stable error codes of {@code Reply.error.code}; protocol/PROTOCOL.md says when each is sent. */
public enum ErrorCode {
    /** The frame could not be decoded, or a field is invalid. */
    BAD_REQUEST,
    /** The channel's topic is not served by this gateway. */
    NOT_FOUND,
    /** The access rules do not allow this request, or publishing is disabled. */
    FORBIDDEN,
    /** A per-connection limit was reached. */
    LIMIT_EXCEEDED,
    /** Kafka did not acknowledge a publish in time. */
    UNAVAILABLE,
    /** A Refresh carried a token that is not valid; the connection keeps its previous token. */
    UNAUTHENTICATED
}
