package io.fanwire.gateway.auth;

/**
 * A token that is missing or cannot be trusted. The message is the sentence the client reads (HTTP 401 body
 * or error reply); it names the reason, never a key or a secret. No stack trace: this is an expected outcome.
 */
public final class AuthException extends Exception {
    private static final long serialVersionUID = 1L;

    public AuthException(String message) {
        super(message, null, false, false);
    }
}
