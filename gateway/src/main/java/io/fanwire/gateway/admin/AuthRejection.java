package io.fanwire.gateway.admin;

import java.util.Locale;

/** Why authentication or access control refused something; the label of {@code fanwire_auth_rejections_total}. */
public enum AuthRejection {
    /** An upgrade without a token where anonymous access is off (HTTP 401). */
    MISSING_TOKEN,
    /** An upgrade whose token is not valid (HTTP 401). */
    INVALID_TOKEN,
    /** A Refresh whose token is not valid ({@code UNAUTHENTICATED}) or changes the subject ({@code FORBIDDEN}). */
    REFRESH_REFUSED,
    /** A subscribe or publish the access rules refuse ({@code FORBIDDEN}). */
    FORBIDDEN,
    /** A connection closed because its token expired without a Refresh (close 4001). */
    TOKEN_EXPIRED,
    /** A state-changing admin request without the admin token (HTTP 401 or 403). */
    ADMIN_TOKEN;

    /** The Prometheus label value. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
