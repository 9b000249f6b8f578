package io.fanwire.benchmarks.e2e;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One benchmark client connection, written at the byte level so that a few processes can hold tens of
 * thousands of clients and count a million frames a second without becoming the bottleneck: it sends the
 * upgrade request, subscribes (protobuf {@code ClientFrame}s, masked as RFC 6455 requires), then parses
 * only WebSocket frame headers and, in each record frame, the 8-byte send time the producer wrote at the
 * start of the payload.
 *
 * <p>Event loop only. Releases every buffer it reads; keeps a cumulation buffer only while a frame is split
 * across reads.
 */
final class SwarmClientHandler extends ChannelInboundHandlerAdapter {

    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};

    private final String host;
    private final String path;
    private final List<String> channels;
    private final SwarmStats stats;
    private final Runnable onSubscribed;
    private ByteBuf pending;
    private boolean upgraded;
    private int repliesExpected;

    SwarmClientHandler(String host, String path, List<String> channels, SwarmStats stats, Runnable onSubscribed) {
        this.host = host;
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
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: fanwire.v1.proto\r\n\r\n";
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
        upgraded = true;
        long id = 1;
        for (String channel : channels) {
            ctx.write(maskedBinary(ctx, ProtoScan.subscribeFrame(id++, channel)));
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
            if (opcode == 0x2) {
                onServerFrame(ctx, buf, payload, (int) length);
            } else if (opcode == 0x9) {
                ctx.writeAndFlush(maskedFrame(ctx, 0xA, new byte[0]));
            } else if (opcode == 0x8) {
                stats.closedByServer();
                ctx.close();
            }
            buf.readerIndex(payload + (int) length);
        }
    }

    private void onServerFrame(ChannelHandlerContext ctx, ByteBuf buf, int offset, int length) {
        long sentNanos = ProtoScan.sentNanos(buf, offset, length);
        if (sentNanos != ProtoScan.NOT_A_MESSAGE) {
            stats.record(System.nanoTime() - sentNanos);
        } else if (ProtoScan.isReply(buf, offset, length) && --repliesExpected == 0) {
            onSubscribed.run();
        }
    }

    private static ByteBuf maskedBinary(ChannelHandlerContext ctx, byte[] payload) {
        return maskedFrame(ctx, 0x2, payload);
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
        stats.disconnected();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        stats.error(cause);
        ctx.close();
    }
}
