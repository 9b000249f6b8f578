/**
 * Who a connection is and what it may do. Starting points: {@link io.fanwire.gateway.auth.Authenticator}
 * (the token of an upgrade request → a {@link io.fanwire.gateway.auth.Principal} or a refusal),
 * {@link io.fanwire.gateway.auth.TokenVerifier} (JWT signature and claims, via nimbus-jose-jwt),
 * {@link io.fanwire.gateway.auth.VerificationKeys} (configured keys and the reloaded JWKS file) and
 * {@link io.fanwire.gateway.auth.AccessRules} (subscribe / publish rules per channel pattern).
 */
package io.fanwire.gateway.auth;
