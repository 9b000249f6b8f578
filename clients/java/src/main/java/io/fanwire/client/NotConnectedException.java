package io.fanwire.client;

/**
 * A request could not be answered: the connection ended before the reply ({@code NOT_CONNECTED}; a publish may
 * still have been written), the client is closed ({@code CLOSED}), or no reply came in time ({@code TIMEOUT}).
 */
public class NotConnectedException extends FanwireException {

    public NotConnectedException(String code, String message) {
        super(code, message);
    }
}
