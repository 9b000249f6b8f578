package io.fanwire.gateway.codec;

/**
 * A client frame that cannot be decoded. The message is the sentence the client reads in its
 * {@code BAD_REQUEST} error reply; no stack trace is kept, as this is an expected outcome of bad input.
 */
public final class BadFrameException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadFrameException(String message) {
        super(message, null, false, false);
    }
}
