/**
 * One WebSocket connection after the upgrade. Starting points: {@link io.fanwire.gateway.session.SessionHandler}
 * (requests and control frames, refusals), {@link io.fanwire.gateway.session.Session} (what the fan-out writes
 * to), {@code Subscription} (one subscription's state machine) and {@code Replay} (resume). docs/architecture.md
 * has the class of each role, the threads and the buffer owners.
 */
package io.fanwire.gateway.session;
