/**
 * Slow-consumer policies: what a connection that does not read fast enough gets instead of every record
 * ({@code conflate}, {@code drop} with a {@code Gap}, or {@code disconnect} with a {@code GoAway}), and which
 * topics or channels get which ({@code slow.consumer.policy}). Starting point: {@link
 * io.fanwire.gateway.policy.SlowConsumerPolicies}. The session package applies them.
 */
package io.fanwire.gateway.policy;
