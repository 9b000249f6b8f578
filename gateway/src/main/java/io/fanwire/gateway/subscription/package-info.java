/**
 * Who wants what: a {@link io.fanwire.gateway.subscription.SubscriptionTable} per event loop (lock-free,
 * touched only by its loop), gathered with a cross-thread interest index in
 * {@link io.fanwire.gateway.subscription.Subscriptions}. Channel names: {@link io.fanwire.gateway.subscription.ChannelName}.
 */
package io.fanwire.gateway.subscription;
