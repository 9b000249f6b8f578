package io.fanwire.benchmarks.e2e;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The {@code fanwire.v1.json} counterpart of {@link ProtoScan}: the subscribe frame a client sends, and just
 * enough reading of a server frame to time it — whether it is a {@code reply}, and the {@code sendNanos} number
 * a {@link JsonQuotes} value carries (found in a whole JSON frame, or in a protobuf {@code Message}'s payload
 * when the values are JSON but the subprotocol is not). Allocation-free when reading; any thread.
 */
final class JsonScan {

    /** The field of a {@link JsonQuotes} value that holds the producer's {@link System#nanoTime()}. */
    static final String SEND_NANOS_FIELD = "sendNanos";
    private static final byte[] SEND_NANOS = ("\"" + SEND_NANOS_FIELD + "\"").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REPLY = "\"reply\"".getBytes(StandardCharsets.US_ASCII);

    private JsonScan() {
    }

    /** {@code {"id":"ID","subscribe":{"channel":"CHANNEL","resumeFrom":[...]}}} (PROTOCOL.md §2.2, §3.1). */
    static byte[] subscribeFrame(long id, String channel, List<SwarmConfig.Position> resume) {
        StringBuilder out = new StringBuilder("{\"id\":\"").append(id).append("\",\"subscribe\":{\"channel\":\"")
                .append(channel).append('"');
        if (!resume.isEmpty()) {
            out.append(",\"resumeFrom\":[");
            for (int i = 0; i < resume.size(); i++) {
                out.append(i == 0 ? "" : ",").append("{\"partition\":").append(resume.get(i).partition())
                        .append(",\"offset\":\"").append(resume.get(i).offset()).append("\"}");
            }
            out.append(']');
        }
        return out.append("}}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the frame's first member is {@code "reply"}. */
    static boolean isReply(ByteBuf buf, int offset, int length) {
        int pos = skipSpace(buf, offset, offset + length);
        if (pos >= offset + length || buf.getByte(pos) != '{') {
            return false;
        }
        return startsWith(buf, skipSpace(buf, pos + 1, offset + length), offset + length, REPLY);
    }

    /** The value of the first {@code "sendNanos"} member in the bytes, or {@link ProtoScan#NOT_A_MESSAGE}. */
    static long sentNanos(ByteBuf buf, int offset, int length) {
        int end = offset + length;
        for (int i = offset; i <= end - SEND_NANOS.length; i++) {
            if (startsWith(buf, i, end, SEND_NANOS)) {
                int pos = skipSpace(buf, i + SEND_NANOS.length, end);
                if (pos >= end || buf.getByte(pos) != ':') {
                    return ProtoScan.NOT_A_MESSAGE;
                }
                return number(buf, skipSpace(buf, pos + 1, end), end);
            }
        }
        return ProtoScan.NOT_A_MESSAGE;
    }

    private static long number(ByteBuf buf, int pos, int end) {
        boolean negative = pos < end && buf.getByte(pos) == '-';
        int i = negative ? pos + 1 : pos;
        long value = 0;
        int digits = 0;
        for (; i < end; i++, digits++) {
            byte b = buf.getByte(i);
            if (b < '0' || b > '9') {
                break;
            }
            value = value * 10 + (b - '0');
        }
        return digits == 0 ? ProtoScan.NOT_A_MESSAGE : negative ? -value : value;
    }

    private static boolean startsWith(ByteBuf buf, int pos, int end, byte[] prefix) {
        if (end - pos < prefix.length) {
            return false;
        }
        for (int j = 0; j < prefix.length; j++) {
            if (buf.getByte(pos + j) != prefix[j]) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpace(ByteBuf buf, int pos, int end) {
        while (pos < end && Character.isWhitespace(buf.getByte(pos))) {
            pos++;
        }
        return pos;
    }
}
