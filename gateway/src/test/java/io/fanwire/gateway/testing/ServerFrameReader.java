package io.fanwire.gateway.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import io.fanwire.protocol.v1.ServerFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads back what a gateway pipeline on an {@link EmbeddedChannel} sent: the bytes of its outbound queue, as
 * the unmasked WebSocket frames a client would receive. Binary frames are parsed as {@code fanwire.v1.proto}
 * {@link ServerFrame}s; close frames are noted by status. A frame split over two writes is joined.
 *
 * <p>Test thread only (the embedded channel's loop). Releases every buffer it reads; {@link #close} releases its own.
 */
public final class ServerFrameReader implements AutoCloseable {

    private final EmbeddedChannel channel;
    private final ByteBuf unread = Unpooled.buffer();
    private final List<Integer> closeStatuses = new ArrayList<>();

    public ServerFrameReader(EmbeddedChannel channel) {
        this.channel = channel;
    }

    /** The binary frames written since the last call, parsed, in order. */
    public List<ServerFrame> frames() {
        for (Object out; (out = channel.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) out;
            unread.writeBytes(buf);
            buf.release();
        }
        List<ServerFrame> frames = new ArrayList<>();
        while (unread.readableBytes() >= 2) {
            unread.markReaderIndex();
            int opcode = unread.readUnsignedByte() & 0x0F;
            long length = unread.readUnsignedByte() & 0x7F;
            if (length == 126 && unread.readableBytes() >= 2) {
                length = unread.readUnsignedShort();
            } else if (length == 127 && unread.readableBytes() >= 8) {
                length = unread.readLong();
            }
            if (length >= 126 && unread.readableBytes() < 2 || unread.readableBytes() < length) {
                unread.resetReaderIndex();
                break;
            }
            byte[] payload = new byte[(int) length];
            unread.readBytes(payload);
            if (opcode == 0x2) {
                frames.add(parse(payload));
            } else if (opcode == 0x8) {
                closeStatuses.add(payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1);
            }
        }
        unread.discardReadBytes();
        return frames;
    }

    /** The statuses of the close frames read so far. */
    public List<Integer> closeStatuses() {
        return closeStatuses;
    }

    /** The offsets of the {@code Message} frames among {@code frames}, in order. */
    public static List<Long> offsets(List<ServerFrame> frames) {
        return frames.stream().filter(ServerFrame::hasMessage).map(f -> f.getMessage().getOffset()).toList();
    }

    private static ServerFrame parse(byte[] payload) {
        try {
            return ServerFrame.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("a binary frame that is no ServerFrame", e);
        }
    }

    @Override
    public void close() {
        unread.release();
    }
}
