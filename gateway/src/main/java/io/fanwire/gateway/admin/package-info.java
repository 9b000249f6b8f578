/**
 * Operations: {@link io.fanwire.gateway.admin.AdminServer} ({@code /healthz}, {@code /readyz}, {@code /metrics})
 * and {@link io.fanwire.gateway.admin.GatewayMetrics}, the counters behind {@code /metrics}, with
 * {@link io.fanwire.gateway.admin.RecordAgeHistogram}, the one metric the fan-out observes per record.
 */
package io.fanwire.gateway.admin;
