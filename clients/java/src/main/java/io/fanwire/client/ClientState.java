package io.fanwire.client;

/** Where a {@link FanwireClient}'s connection stands. */
public enum ClientState {
    /** Waiting for a token, for the backoff delay, for the TCP connection or for the WebSocket upgrade. */
    CONNECTING,
    /** Upgraded: requests flow, subscriptions are (re)subscribed. */
    OPEN,
    /** {@link FanwireClient#close()} was called: no more connections. Final. */
    CLOSED
}
