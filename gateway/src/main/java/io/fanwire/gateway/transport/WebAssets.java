package io.fanwire.gateway.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The files the WebSocket port serves over plain HTTP: the demo page at {@code /} and the browser build of the
 * JavaScript client ({@code clients/js}) at {@code /fanwire.js}, which the page imports. Read once from the
 * classpath ({@code /web/...}) at start-up; a build without them serves 404. Immutable; any thread.
 */
record WebAssets(Map<String, Asset> byPath) {

    /** One file: its bytes and its {@code Content-Type}. */
    record Asset(byte[] bytes, String contentType) {
    }

    static WebAssets load() {
        Map<String, Asset> byPath = new LinkedHashMap<>();
        byte[] page = resource("/web/index.html");
        if (page != null) {
            Asset html = new Asset(page, "text/html; charset=utf-8");
            byPath.put("/", html);
            byPath.put("/index.html", html);
        }
        byte[] client = resource("/web/fanwire.js");
        if (client != null) {
            byPath.put("/fanwire.js", new Asset(client, "text/javascript; charset=utf-8"));
        }
        return new WebAssets(Map.copyOf(byPath));
    }

    /** The file served at {@code path}, or null. */
    Asset get(String path) {
        return byPath.get(path);
    }

    private static byte[] resource(String name) {
        try (InputStream in = WebAssets.class.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
