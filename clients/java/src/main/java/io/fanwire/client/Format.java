package io.fanwire.client;

/** The two fanwire.v1 subprotocols: which one a client offers, and so how every frame is encoded. */
public enum Format {
    /** {@code fanwire.v1.json}: text frames, the canonical proto3 JSON mapping. Records of JSON topics come as {@code data}. */
    JSON("fanwire.v1.json"),
    /** {@code fanwire.v1.proto}: binary frames, protobuf. Smaller and cheaper to decode; payloads are always bytes. */
    PROTO("fanwire.v1.proto");

    private final String subprotocol;

    Format(String subprotocol) {
        this.subprotocol = subprotocol;
    }

    /** The name offered in {@code Sec-WebSocket-Protocol}. */
    public String subprotocol() {
        return subprotocol;
    }
}
