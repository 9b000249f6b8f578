package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.history.LastValues;
import io.fanwire.gateway.history.RecordHistory;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.auth.Authenticator;
import io.fanwire.gateway.config.ClientLimits;
import io.fanwire.gateway.publish.KafkaPublisher;
import io.fanwire.gateway.subscription.Subscriptions;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * What every connection's {@link SessionHandler} shares: its {@link SessionSettings}, the subscription tables,
 * metrics, the publisher, authentication and access rules, and what resuming and snapshots need (the record
 * history, the older records in Kafka, the last values). Immutable; any thread.
 *
 * @param catchUp where a replay reads what the history no longer holds (the catch-up readers)
 * @param publisher null when {@code publish.enabled} is false
 * @param authenticator verifies the tokens of upgrades and Refresh requests
 * @param accessRules who may subscribe to and publish on which channels
 * @param idleSweeps one per event loop, in the order of {@code subscriptions.loops()}
 * @param limits connection, frame-rate, origin and payload limits
 * @param serving false until the node knows every served partition: upgrades get 503 until then
 * @param settings the session layer's limits and policies
 * @param pendingBudget the node-wide bound on bytes pending for clients
 */
public record SessionServices(
        Subscriptions<Session> subscriptions,
        GatewayMetrics metrics,
        KafkaPublisher publisher,
        RecordHistory history,
        OlderRecords catchUp,
        LastValues lastValues,
        List<IdleSweep> idleSweeps,
        Authenticator authenticator,
        AccessRules accessRules,
        ClientLimits limits,
        BooleanSupplier serving,
        SessionSettings settings,
        PendingBudget pendingBudget) {
}
