package io.fanwire.client;

/**
 * The gateway answered a request with {@code Reply.error}: {@link #code()} is its stable code
 * ({@code FORBIDDEN}, {@code NOT_FOUND}, {@code BAD_REQUEST}, {@code LIMIT_EXCEEDED}, {@code UNAVAILABLE}, ...;
 * treat codes you do not know as a generic failure) and the message the gateway's sentence for people.
 */
public class RequestRefusedException extends FanwireException {

    private final String serverMessage;

    public RequestRefusedException(String code, String serverMessage) {
        super(code, serverMessage);
        this.serverMessage = serverMessage;
    }

    /** The gateway's sentence, whose wording may change. */
    public String serverMessage() {
        return serverMessage;
    }
}
