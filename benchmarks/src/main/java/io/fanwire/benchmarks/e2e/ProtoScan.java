package io.fanwire.benchmarks.e2e;

import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Subscribe;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * Reads just enough of a protobuf {@code ServerFrame} to time it: whether it is a {@code Message} and, if so,
 * the producer's send time ({@link System#nanoTime()}) in its payload: 8 bytes big-endian at the start of a
 * binary value, or the {@code sendNanos} member of a JSON value ({@link JsonScan}). Allocation-free, so the
 * swarm measures the server rather than itself; any thread.
 */
final class ProtoScan {

    static final long NOT_A_MESSAGE = Long.MIN_VALUE;
    private static final int SERVER_FRAME_REPLY = 1;
    private static final int SERVER_FRAME_MESSAGE = 2;
    private static final int MESSAGE_PAYLOAD = 3;
    private static final int WIRE_VARINT = 0;
    private static final int WIRE_64 = 1;
    private static final int WIRE_LEN = 2;
    private static final int WIRE_32 = 5;

    private ProtoScan() {
    }

    /** {@code ClientFrame{id, subscribe{channel, resume_from}}}; an empty {@code resume} subscribes live. */
    static byte[] subscribeFrame(long id, String channel, List<SwarmConfig.Position> resume) {
        Subscribe.Builder subscribe = Subscribe.newBuilder().setChannel(channel);
        for (SwarmConfig.Position p : resume) {
            subscribe.addResumeFrom(Position.newBuilder().setPartition(p.partition()).setOffset(p.offset()));
        }
        return ClientFrame.newBuilder().setId(id).setSubscribe(subscribe).build().toByteArray();
    }

    static boolean isReply(ByteBuf buf, int offset, int length) {
        return length > 0 && (buf.getByte(offset) >>> 3) == SERVER_FRAME_REPLY;
    }

    /**
     * The send time in a {@code ServerFrame{message{payload}}}, or {@link #NOT_A_MESSAGE}; {@code jsonValues}:
     * the payload is a JSON value with a {@code sendNanos} member rather than binary.
     */
    static long sentNanos(ByteBuf buf, int offset, int length, boolean jsonValues) {
        int end = offset + length;
        int[] pos = {offset};
        long tag = varint(buf, pos);
        if ((tag >>> 3) != SERVER_FRAME_MESSAGE || (tag & 7) != WIRE_LEN) {
            return NOT_A_MESSAGE;
        }
        int messageEnd = (int) varint(buf, pos) + pos[0];
        while (pos[0] < Math.min(messageEnd, end)) {
            long fieldTag = varint(buf, pos);
            int wire = (int) (fieldTag & 7);
            if ((fieldTag >>> 3) == MESSAGE_PAYLOAD && wire == WIRE_LEN) {
                int payloadLength = (int) varint(buf, pos);
                if (jsonValues) {
                    return JsonScan.sentNanos(buf, pos[0], payloadLength);
                }
                return payloadLength >= 8 ? buf.getLong(pos[0]) : NOT_A_MESSAGE;
            }
            switch (wire) {
                case WIRE_VARINT -> varint(buf, pos);
                case WIRE_64 -> pos[0] += 8;
                case WIRE_LEN -> {
                    int skip = (int) varint(buf, pos); // not "pos[0] += varint(...)": that adds to the old pos[0]
                    pos[0] += skip;
                }
                case WIRE_32 -> pos[0] += 4;
                default -> {
                    return NOT_A_MESSAGE;
                }
            }
        }
        return NOT_A_MESSAGE;
    }

    private static long varint(ByteBuf buf, int[] pos) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = buf.getByte(pos[0]++);
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new IllegalStateException("malformed varint");
    }
}
