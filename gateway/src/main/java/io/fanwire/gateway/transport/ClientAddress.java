package io.fanwire.gateway.transport;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Where a WebSocket connection's client is: the source address its PROXY protocol header names, when the listener
 * reads one ({@code ws.proxy.protocol}) and the header carries an IP source, otherwise the TCP peer. The connection
 * limits and the session's log lines take it from here rather than from {@code Channel.remoteAddress()}.
 *
 * <p>Any thread. The proxied address is set once, by {@link ProxyHeaderHandler} on the connection's event loop,
 * before the connection is counted; it is an attribute of the channel, so a connection without one pays nothing.
 */
final class ClientAddress {

    /** The source address of the connection's PROXY header; absent for a direct or a LOCAL connection. */
    static final AttributeKey<InetSocketAddress> PROXIED = AttributeKey.valueOf(ClientAddress.class, "proxied");

    private ClientAddress() {
    }

    static SocketAddress of(Channel channel) {
        return channel.hasAttr(PROXIED) ? channel.attr(PROXIED).get() : channel.remoteAddress();
    }
}
