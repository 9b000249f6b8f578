package io.fanwire.benchmarks.e2e;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * One benchmark client connection, written at the byte level so that a few processes can hold tens of
 * thousands of clients and count a million frames a second without becoming the bottleneck: it sends the
 * upgrade request, subscribes ({@code ClientFrame}s in the {@link SwarmConfig}'s subprotocol, masked as RFC 6455
 * requires), then parses only WebSocket frame headers and, in each record frame, the send time the producer
 * wrote into the value ({@link ProtoScan}, {@link JsonScan}). With {@link SwarmConfig#deflate} it offers
 * permessage-deflate, insists that the server accept it, and inflates each compressed message
 * ({@link MessageInflater}) before reading it; a frame's wire size is counted before inflation.
 *
 * <p>Event loop only. Releases every buffer it reads; keeps a cumulation buffer only while a frame is split
 * across reads. A server that answers the upgrade otherwise than the configuration requires is reported to
 * {@code onFatal}: measuring on would measure something else than was asked.
 */
final class SwarmClientHandler extends ChannelInboundHandlerAdapter {

    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};
    /** What a client that shares no compression context with the server offers (RFC 7692 §7.1). */
    static final String DEFLATE_OFFER = "permessage-deflate; client_no_context_takeover; server_no_context_takeover";
    private static final int RSV1 = 0x40;

    private final String host;
    private final String path;
    private final List<String> channels;
    private final SwarmStats stats;
    private final Runnable onSubscribed;
    private final SwarmConfig config;
    private final Consumer<String> onFatal;
    private MessageInflater inflater;
    private ByteBuf pending;
    private boolean upgraded;
    private int repliesExpected;

    SwarmClientHandler(String host, String path, List<String> channels, SwarmConfig config, SwarmStats stats,
                       Runnable onSubscribed, Consumer<String> onFatal) {
        this.host = host;
        this.config = config;
        this.onFatal = onFatal;
        this.path = path;
        this.channels = channels;
        this.stats = stats;
        this.onSubscribed = onSubscribed;
        this.repliesExpected = channels.size();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        String request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + config.subprotocol() + "\r\n"
                + (config.deflate() ? "Sec-WebSocket-Extensions: " + DEFLATE_OFFER + "\r\n" : "") + "\r\n";
        ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(request.getBytes(StandardCharsets.US_ASCII)));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        ByteBuf buf = in;
        if (pending != null) {
            pending.writeBytes(in);
            in.release();
            buf = pending;
        }
        try {
            if (!upgraded && !readUpgrade(ctx, buf)) {
                keep(ctx, buf);
                return;
            }
            readFrames(ctx, buf);
            keep(ctx, buf);
        } catch (RuntimeException e) {
            ReferenceCountUtil.safeRelease(buf);
            pending = null;
            throw e;
        }
    }

    /** Keeps what is left of {@code buf} for the next read, or releases it. */
    private void keep(ChannelHandlerContext ctx, ByteBuf buf) {
        if (!buf.isReadable()) {
            buf.release();
            pending = null;
        } else if (buf != pending) {
            pending = ctx.alloc().buffer(Math.max(256, buf.readableBytes() * 2)).writeBytes(buf);
            buf.release();
        } else {
            pending.discardReadBytes();
        }
    }

    private boolean readUpgrade(ChannelHandlerContext ctx, ByteBuf buf) {
        int end = indexOf(buf, HEADER_END);
        if (end < 0) {
            return false;
        }
        String head = buf.toString(buf.readerIndex(), end - buf.readerIndex(), StandardCharsets.US_ASCII);
        buf.readerIndex(end + HEADER_END.length);
        if (!head.startsWith("HTTP/1.1 101")) {
            throw new IllegalStateException("upgrade refused: " + head.lines().findFirst().orElse(head));
        }
        String extensions = header(head, "Sec-WebSocket-Extensions");
        if (config.deflate()) {
            if (!extensions.contains("permessage-deflate") || !extensions.contains("server_no_context_takeover")) {
                onFatal.accept("offered " + DEFLATE_OFFER + "; the server answered Sec-WebSocket-Extensions: '"
                        + extensions + "' (permessage-deflate with server_no_context_takeover is required)");
                ctx.close();
                return false;
            }
            inflater = new MessageInflater();
        } else if (!extensions.isEmpty()) {
            onFatal.accept("offered no extension; the server answered Sec-WebSocket-Extensions: '" + extensions + "'");
            ctx.close();
            return false;
        }
        upgraded = true;
        long id = 1;
        for (String channel : channels) {
            ctx.write(config.json()
                    ? maskedFrame(ctx, 0x1, JsonScan.subscribeFrame(id++, channel, config.resume()))
                    : maskedFrame(ctx, 0x2, ProtoScan.subscribeFrame(id++, channel, config.resume())));
        }
        ctx.flush();
        return true;
    }

    private void readFrames(ChannelHandlerContext ctx, ByteBuf buf) {
        while (buf.readableBytes() >= 2) {
            int start = buf.readerIndex();
            int b0 = buf.getUnsignedByte(start);
            int len7 = buf.getUnsignedByte(start + 1) & 0x7F;
            int headerLength = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
            if (buf.readableBytes() < headerLength) {
                return;
            }
            long length = len7 < 126 ? len7 : len7 == 126 ? buf.getUnsignedShort(start + 2) : buf.getLong(start + 2);
            if (buf.readableBytes() < headerLength + length) {
                return;
            }
            int payload = start + headerLength;
            int opcode = b0 & 0x0F;
            if (opcode == 0x1 || opcode == 0x2) {
                onServerFrame(ctx, buf, payload, (int) length, (b0 & RSV1) != 0, headerLength + (int) length);
            } else if (opcode == 0x9) {
                ctx.writeAndFlush(maskedFrame(ctx, 0xA, new byte[0]));
            } else if (opcode == 0x8) {
                stats.closedByServer();
                ctx.close();
            }
            buf.readerIndex(payload + (int) length);
        }
    }

    private void onServerFrame(ChannelHandlerContext ctx, ByteBuf buf, int offset, int length, boolean compressed,
                               int wireBytes) {
        if (compressed) {
            if (inflater == null) {
                onFatal.accept("the server sent a frame with RSV1 set, but no extension was agreed");
                ctx.close();
                return;
            }
            buf = inflater.inflate(buf, offset, length);
            offset = 0;
            length = buf.writerIndex();
        }
        long sentNanos = config.json() ? JsonScan.sentNanos(buf, offset, length)
                : ProtoScan.sentNanos(buf, offset, length, config.jsonValues());
        if (sentNanos != ProtoScan.NOT_A_MESSAGE) {
            stats.record(sentNanos, System.nanoTime(), wireBytes, length);
        } else if ((config.json() ? JsonScan.isReply(buf, offset, length) : ProtoScan.isReply(buf, offset, length))
                && --repliesExpected == 0) {
            onSubscribed.run();
        }
    }

    /** The value of the response header {@code name} (case-insensitive), or an empty string. */
    private static String header(String head, String name) {
        return head.lines().filter(line -> line.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                .map(line -> line.substring(name.length() + 1).strip()).findFirst().orElse("");
    }

    private static ByteBuf maskedFrame(ChannelHandlerContext ctx, int opcode, byte[] payload) {
        ByteBuf frame = ctx.alloc().buffer(payload.length + 14);
        frame.writeByte(0x80 | opcode);
        if (payload.length <= 125) {
            frame.writeByte(0x80 | payload.length);
        } else {
            frame.writeByte(0x80 | 126).writeShort(payload.length);
        }
        int mask = ThreadLocalRandom.current().nextInt();
        frame.writeInt(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.writeByte(payload[i] ^ (mask >>> (24 - 8 * (i % 4))));
        }
        return frame;
    }

    private static int indexOf(ByteBuf buf, byte[] needle) {
        outer:
        for (int i = buf.readerIndex(); i <= buf.writerIndex() - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (inflater != null) {
            inflater.close();
            inflater = null;
        }
        stats.disconnected();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        stats.error(cause);
        ctx.close();
    }
}
