package io.fanwire.gateway.session;

import io.fanwire.gateway.admin.AuthRejection;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.auth.AuthException;
import io.fanwire.gateway.auth.Principal;
import io.fanwire.gateway.codec.ErrorCode;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The credentials of one connection: its {@link Principal}, what the access rules let it do, the Refresh
 * that replaces its token, and the timer that ends it when its token expires unrefreshed.
 *
 * <p>Event loop only (the connection's own): created at the upgrade, dropped when the connection closes.
 */
final class SessionCredentials {

    private final EventExecutor loop;
    private final SessionServices services;
    private final Runnable onExpiry;
    private Principal principal;
    private ScheduledFuture<?> expiry;

    /** {@code onExpiry} runs on the loop when the token expires without a Refresh. */
    SessionCredentials(EventExecutor loop, SessionServices services, Principal principal, Runnable onExpiry) {
        this.loop = loop;
        this.services = services;
        this.onExpiry = onExpiry;
        this.principal = Objects.requireNonNull(principal, "principal");
        scheduleExpiry();
    }

    /** True when the access rules let this connection do {@code action} on {@code channel}; counts refusals. */
    boolean allows(AccessRules.Action action, String channel) {
        if (services.accessRules().allows(action, channel, principal)) {
            return true;
        }
        services.metrics().authRejected(AuthRejection.FORBIDDEN);
        return false;
    }

    /**
     * Replaces the token; a {@link Refusal} with {@code UNAUTHENTICATED} for a token that is not valid, or
     * {@code FORBIDDEN} for one with another subject, changes nothing.
     */
    void refresh(String token) {
        Principal next;
        try {
            next = services.authenticator().verify(token);
        } catch (AuthException e) {
            services.metrics().authRejected(AuthRejection.REFRESH_REFUSED);
            throw new Refusal(ErrorCode.UNAUTHENTICATED, e.getMessage());
        }
        if (principal.authenticated() && !Objects.equals(principal.subject(), next.subject())) {
            services.metrics().authRejected(AuthRejection.REFRESH_REFUSED);
            throw new Refusal(ErrorCode.FORBIDDEN,
                    "a Refresh token must have the same subject as the connection's token");
        }
        principal = next;
        cancel();
        scheduleExpiry();
    }

    /** Stops the expiry timer; the connection is closing. */
    void cancel() {
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
    }

    private void scheduleExpiry() {
        if (principal.expiresAt() == null) {
            return;
        }
        Instant deadline = principal.expiresAt().plus(services.authenticator().verifier().skew());
        long delayMillis;
        try {
            delayMillis = Math.max(0, Duration.between(services.authenticator().verifier().clock().instant(),
                    deadline).toMillis());
        } catch (ArithmeticException farFuture) {
            delayMillis = Long.MAX_VALUE;
        }
        expiry = loop.schedule(() -> {
            expiry = null;
            services.metrics().authRejected(AuthRejection.TOKEN_EXPIRED);
            onExpiry.run();
        }, delayMillis, TimeUnit.MILLISECONDS);
    }
}
