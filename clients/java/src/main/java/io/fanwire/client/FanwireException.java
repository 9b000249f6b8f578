package io.fanwire.client;

/**
 * A failure the application can act on, with a stable machine-readable {@link #code()}: the gateway's error
 * codes ({@code FORBIDDEN}, {@code NOT_FOUND}, {@code BAD_REQUEST}, {@code LIMIT_EXCEEDED}, {@code UNAVAILABLE},
 * {@code UNAUTHENTICATED}, ...) or the client's own ({@code BAD_URL}, {@code UNKNOWN_SUBPROTOCOL},
 * {@code HANDSHAKE_FAILED}, {@code CONNECTION_LOST}, {@code LIVENESS}, {@code NOT_CONNECTED}, {@code TIMEOUT},
 * {@code TOKEN}). Subclasses name the kinds an application typically handles differently.
 */
public class FanwireException extends RuntimeException {

    private final String code;

    public FanwireException(String code, String message) {
        this(code, message, null);
    }

    public FanwireException(String code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    /** The stable code; match on it, not on the message. */
    public String code() {
        return code;
    }
}
