package io.fanwire.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.gateway.admin.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The PROXY protocol header in front of the pipeline: Netty's decoder and {@link ProxyHeaderHandler}, with a handler
 * below them that records what the connection limit would see.
 */
class ProxyHeaderHandlerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String REQUEST = "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n";

    private final GatewayMetrics metrics = new GatewayMetrics();
    private final WarningRateLimiter warnings = new WarningRateLimiter(Duration.ofSeconds(10), System::nanoTime);
    private final ActiveRecorder below = new ActiveRecorder();
    private final EmbeddedChannel channel = new EmbeddedChannel(new HAProxyMessageDecoder(),
            new ProxyHeaderHandler(TIMEOUT, metrics, warnings), below);

    @Test
    void versionOneNamesTheClientAndPassesOnWhatFollows() {
        channel.writeInbound(ascii("PROXY TCP4 203.0.113.7 192.0.2.1 51234 8080\r\n" + REQUEST));

        assertEquals(1, below.activations);
        assertEquals(new InetSocketAddress("203.0.113.7", 51234), below.client);
        assertEquals(REQUEST, readAll());
        assertLeftThePipeline();
        assertEquals(0, rejected("malformed") + rejected("timeout"));
        assertFalse(channel.finish());
    }

    @Test
    void versionTwoNamesTheClientEvenWhenSplitAcrossReads() {
        byte[] header = versionTwo(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                HAProxyProxiedProtocol.TCP6, "2001:db8::7", "2001:db8::1", 51234, 8080));

        channel.writeInbound(Unpooled.wrappedBuffer(header, 0, 10));
        assertEquals(0, below.activations, "nothing is active before the header is complete");
        channel.writeInbound(Unpooled.wrappedBuffer(header, 10, header.length - 10),
                ascii(REQUEST));

        assertEquals(1, below.activations);
        assertEquals(new InetSocketAddress("2001:db8::7", 51234), below.client);
        assertEquals(REQUEST, readAll());
        assertLeftThePipeline();
        assertFalse(channel.finish());
    }

    @Test
    void localCommandKeepsTheBalancersAddress() {
        channel.writeInbound(Unpooled.wrappedBuffer(versionTwo(new HAProxyMessage(HAProxyProtocolVersion.V2,
                HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN, null, null, 0, 0))), ascii(REQUEST));

        assertEquals(1, below.activations);
        assertNull(below.client, "no proxied address: the limits count the TCP peer");
        assertEquals(REQUEST, readAll());
        assertLeftThePipeline();
    }

    @Test
    void unknownProtocolKeepsTheBalancersAddress() {
        channel.writeInbound(ascii("PROXY UNKNOWN\r\n" + REQUEST));

        assertEquals(1, below.activations);
        assertNull(below.client);
        assertEquals(REQUEST, readAll());
    }

    @Test
    void aRequestWithoutHeaderIsClosedAndCountedOnce() {
        channel.writeInbound(ascii(REQUEST));

        assertFalse(channel.isOpen());
        assertEquals(0, below.activations);
        assertNull(channel.readInbound());
        // Closing makes the decoder try the rest of the request again; it is still one rejection.
        channel.finishAndReleaseAll();
        assertEquals(1, rejected("malformed"));
    }

    @Test
    void aMalformedVersionTwoHeaderIsClosedAndCounted() {
        byte[] header = versionTwo(new HAProxyMessage(HAProxyProtocolVersion.V2, HAProxyCommand.PROXY,
                HAProxyProxiedProtocol.TCP4, "203.0.113.7", "192.0.2.1", 51234, 8080));
        header[12] = 0x31;  // version 3, command PROXY: no such version

        channel.writeInbound(Unpooled.wrappedBuffer(header), ascii(REQUEST));

        assertFalse(channel.isOpen());
        assertEquals(0, below.activations);
        channel.finishAndReleaseAll();
        assertEquals(1, rejected("malformed"));
    }

    @Test
    void anIncompleteHeaderIsClosedAtTheHandshakeDeadline() {
        channel.writeInbound(ascii("PROXY TCP4 203.0.113.7"));
        channel.advanceTimeBy(TIMEOUT.toMillis() / 2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertTrue(channel.isOpen());

        channel.advanceTimeBy(TIMEOUT.toMillis() / 2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        assertFalse(channel.isOpen());
        assertEquals(0, below.activations);
        channel.finishAndReleaseAll();
        assertEquals(1, rejected("timeout"));
        assertEquals(0, rejected("malformed"));
    }

    @Test
    void warningsAreHeldBackWithinAnIntervalAndCountedInTheNextLine() {
        long[] now = {0};
        WarningRateLimiter limiter = new WarningRateLimiter(Duration.ofSeconds(10), () -> now[0]);
        assertEquals(0, limiter.tryAcquire());
        assertEquals(WarningRateLimiter.HOLD, limiter.tryAcquire());
        now[0] = Duration.ofSeconds(9).toNanos();
        assertEquals(WarningRateLimiter.HOLD, limiter.tryAcquire());
        now[0] = Duration.ofSeconds(10).toNanos();
        assertEquals(2, limiter.tryAcquire());
        assertEquals(WarningRateLimiter.HOLD, limiter.tryAcquire());
    }

    private void assertLeftThePipeline() {
        assertNull(channel.pipeline().get(HAProxyMessageDecoder.class));
        assertNull(channel.pipeline().get(ProxyHeaderHandler.class));
    }

    private String readAll() {
        StringBuilder text = new StringBuilder();
        for (ByteBuf in; (in = channel.readInbound()) != null; ) {
            text.append(in.toString(StandardCharsets.US_ASCII));
            in.release();
        }
        return text.toString();
    }

    private long rejected(String reason) {
        Matcher m = Pattern.compile("(?m)^fanwire_proxy_protocol_rejected_total\\{reason=\"" + reason + "\"} (\\d+)$")
                .matcher(metrics.render());
        assertTrue(m.find(), reason);
        return Long.parseLong(m.group(1));
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    /** The header as HAProxy would send it with send-proxy-v2, encoded by Netty's encoder. */
    private static byte[] versionTwo(HAProxyMessage message) {
        EmbeddedChannel encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
        encoder.writeOutbound(message);
        ByteBuf encoded = encoder.readOutbound();
        byte[] bytes = ByteBufUtil.getBytes(encoded);
        encoded.release();
        encoder.finishAndReleaseAll();
        return bytes;
    }

    /** Stands where the connection limit stands: records when the connection became active, and as whom. */
    private static final class ActiveRecorder extends ChannelInboundHandlerAdapter {
        int activations;
        InetSocketAddress client;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            activations++;
            client = ctx.channel().hasAttr(ClientAddress.PROXIED) ? ctx.channel().attr(ClientAddress.PROXIED).get()
                    : null;
            ctx.fireChannelActive();
        }
    }
}
