/**
 * One WebSocket connection after the upgrade: {@link io.fanwire.gateway.session.SessionHandler} answers its
 * requests and control frames; {@link io.fanwire.gateway.session.Session} is what the fan-out writes to.
 */
package io.fanwire.gateway.session;
