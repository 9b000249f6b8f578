package io.fanwire.client;

/**
 * What a {@link Subscription} hands to the application. Every method is called on the client's event loop, one
 * call at a time, in the order the gateway sent the frames: do not block in them (hand work to another thread),
 * since the same loop reads every connection assigned to it. An exception thrown here is logged and ignored.
 */
@FunctionalInterface
public interface SubscriptionListener {

    /** A record, at most once per channel, partition and offset, in offset order per partition. */
    void onMessage(FanwireMessage message);

    /** Records that will not come (retention, slow consumer); the position moved past them. */
    default void onGap(Gap gap) {
    }

    /**
     * The subscription failed: the gateway refused it ({@link RequestRefusedException} with its code). The
     * subscription is then {@link SubscriptionState#FAILED} and not retried.
     */
    default void onError(FanwireException error) {
    }

    /** The subscription's state changed (subscribed, resuming after a connection ended, ...). */
    default void onStateChange(SubscriptionState state) {
    }
}
