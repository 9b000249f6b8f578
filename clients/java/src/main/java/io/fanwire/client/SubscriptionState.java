package io.fanwire.client;

/** Where one {@link Subscription} stands. */
public enum SubscriptionState {
    /** Its Subscribe was not answered yet (no connection, or the request is in flight). */
    SUBSCRIBING,
    /** Subscribed on the current connection: messages flow. */
    ACTIVE,
    /** The connection it was active on ended; it resumes from its positions on the next connection. */
    RESUMING,
    /** The gateway refused the Subscribe (see {@link Subscription#failure()}); it is not retried. Final. */
    FAILED,
    /** Unsubscribed, or the client was closed. Final. */
    CLOSED
}
