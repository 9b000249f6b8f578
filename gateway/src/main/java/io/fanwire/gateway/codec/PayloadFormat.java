package io.fanwire.gateway.codec;

/**
 * How the {@code fanwire.v1.json} subprotocol carries a topic's record values (key {@code payload.formats}).
 * The protobuf subprotocol always carries the bytes.
 */
public enum PayloadFormat {
    /** {@code "payload"}: the bytes, base64. The default. */
    BYTES,
    /** {@code "data"}: the value itself as a JSON value, when it is valid JSON in UTF-8. */
    JSON,
    /** {@code "data"}: the value as a JSON string, when it is valid UTF-8. */
    TEXT
}
