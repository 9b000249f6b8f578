package io.fanwire.client;

/**
 * The client and the server do not speak the same protocol: an invalid URL ({@code BAD_URL}, thrown when the
 * client is built), a {@code 101} that selects another subprotocol than the one offered
 * ({@code UNKNOWN_SUBPROTOCOL}), or another HTTP answer to the upgrade such as {@code 403} for a refused origin
 * or {@code 400} ({@code HANDSHAKE_FAILED}, with {@link #httpStatus()}). Retried after the backoff, since a
 * balancer may route the next attempt to a node that answers correctly.
 */
public class ProtocolException extends FanwireException {

    private final int httpStatus;

    public ProtocolException(String code, String message, int httpStatus, Throwable cause) {
        super(code, message, cause);
        this.httpStatus = httpStatus;
    }

    /** The upgrade's HTTP status, or 0 when there was none. */
    public int httpStatus() {
        return httpStatus;
    }
}
