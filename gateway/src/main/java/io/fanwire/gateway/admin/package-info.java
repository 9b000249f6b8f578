/**
 * Operations: {@link io.fanwire.gateway.admin.AdminServer} ({@code /healthz}, {@code /readyz}, {@code /metrics})
 * and {@link io.fanwire.gateway.admin.GatewayMetrics}, the counters behind {@code /metrics}.
 */
package io.fanwire.gateway.admin;
