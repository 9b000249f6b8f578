package io.fanwire.gateway.admin;

import java.util.Locale;

/**
 * Why a connection was closed before its PROXY protocol header was read ({@code ws.proxy.protocol}); the label of
 * {@code fanwire_proxy_protocol_rejected_total}.
 */
public enum ProxyRejection {
    /**
     * The connection did not start with a valid version 1 or 2 header: a client that bypassed the balancer (its
     * HTTP request or TLS hello is not a header), or a balancer that does not send one.
     */
    MALFORMED,
    /** The header was not complete within {@code ws.handshake.timeout.ms}. */
    TIMEOUT;

    /** The Prometheus label value. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
