package io.fanwire.gateway.transport;

import java.time.Duration;

/**
 * What the HTTP side needs to serve the upgrade and the demo page. Immutable; any thread.
 *
 * @param demoPage the demo page's HTML, or null when the build has none
 */
record WebSocketSettings(String path, int maxFrameBytes, Duration pingInterval, byte[] demoPage) {
}
