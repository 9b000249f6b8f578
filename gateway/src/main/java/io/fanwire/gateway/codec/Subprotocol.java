package io.fanwire.gateway.codec;

/**
 * The WebSocket subprotocols of fanwire.v1 (protocol/PROTOCOL.md). A connection speaks exactly one, chosen
 * at the upgrade; a client that offers none gets {@link #JSON}.
 */
public enum Subprotocol {
    /** Binary frames, each one protobuf {@code ClientFrame} / {@code ServerFrame}. */
    PROTO("fanwire.v1.proto"),
    /** Text frames, each the canonical proto3 JSON form of the same messages. */
    JSON("fanwire.v1.json");

    /** The {@code Sec-WebSocket-Protocol} list the server offers, most preferred first. */
    public static final String SUPPORTED = PROTO.wireName + "," + JSON.wireName;

    private final String wireName;

    Subprotocol(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /**
     * The subprotocol for a {@code Sec-WebSocket-Protocol} request header: the first one offered that the
     * gateway speaks, {@link #JSON} when none is offered, or null when only unknown ones are.
     */
    public static Subprotocol negotiate(String offered) {
        if (offered == null || offered.isBlank()) {
            return JSON;
        }
        for (String name : offered.split(",")) {
            String trimmed = name.trim();
            for (Subprotocol protocol : values()) {
                if (protocol.wireName.equals(trimmed)) {
                    return protocol;
                }
            }
        }
        return null;
    }
}
