package io.fanwire.client;

/**
 * The gateway did not accept the token: HTTP 401 at the upgrade (code {@code UNAUTHENTICATED}), a refused
 * {@code Refresh} ({@code UNAUTHENTICATED} or {@code FORBIDDEN}), or close 4001 after the token expired
 * ({@code TOKEN_EXPIRED}). The client calls its token supplier again on the next attempt, after the backoff.
 */
public class AuthenticationException extends FanwireException {

    private final int httpStatus;

    public AuthenticationException(String code, String message, int httpStatus) {
        super(code, message);
        this.httpStatus = httpStatus;
    }

    /** 401 for a refused upgrade; 0 when the refusal came on an open connection. */
    public int httpStatus() {
        return httpStatus;
    }
}
