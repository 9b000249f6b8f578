package io.fanwire.gateway.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.zip.Deflater;

/**
 * permessage-deflate (RFC 7692) for server frames: turns a complete, unmasked WebSocket frame into the same
 * message compressed, with RSV1 set, or says it is not worth it. Every connection that negotiated the
 * extension is answered with {@code server_no_context_takeover}, so a message's compressed form depends on the
 * message alone and one compressed frame per record serves every such connection (see
 * {@link EncodedRecord#frame(Subprotocol, FrameCompression, ByteBufAllocator)}), where a server with context
 * takeover compresses every message once per connection.
 *
 * <p>Why by hand, not Netty's {@code PerMessageDeflateEncoder}: that encoder sits in each connection's pipeline
 * and compresses each frame written to it, through a zlib stream of its own, which is exactly the per-connection
 * cost this class exists to avoid. The compression itself is the JDK's zlib ({@link Deflater}); this class only
 * frames it as RFC 7692 §7.2.1 says (raw DEFLATE, sync flush, the trailing {@code 00 00 ff ff} removed).
 *
 * <p>Settings: {@code ws.compression.level}, and the smallest payload worth compressing,
 * {@code ws.compression.min.bytes} with per-topic overrides {@code ws.compression.topic.min.bytes}; a payload
 * that does not shrink goes uncompressed (RFC 7692 lets every message choose).
 *
 * <p>Threads: any; each thread compresses with a {@link Deflater} of its own, reset per message. Immutable
 * otherwise. Ownership: the returned frames are new buffers owned by the caller; the input is only read.
 */
public final class FrameCompression {

    /** Compression off: no connection negotiates permessage-deflate. */
    public static final FrameCompression OFF = new FrameCompression(false, Deflater.DEFAULT_COMPRESSION,
            Integer.MAX_VALUE, Map.of());

    /** The first two header bits a compressed frame sets besides the opcode: FIN and RSV1. */
    private static final int FIN_RSV1 = 0x80 | 0x40;
    /** The empty stored block a sync flush ends with, which RFC 7692 §7.2.1 has the sender remove. */
    private static final int SYNC_TAIL = 4;

    private final boolean enabled;
    private final int level;
    private final int minBytes;
    private final Map<String, Integer> topicMinBytes;
    private final FastThreadLocal<Deflater> deflaters = new FastThreadLocal<>() {
        @Override
        protected Deflater initialValue() {
            return new Deflater(level, true);
        }

        @Override
        protected void onRemoval(Deflater deflater) {
            deflater.end();
        }
    };

    private FrameCompression(boolean enabled, int level, int minBytes, Map<String, Integer> topicMinBytes) {
        this.enabled = enabled;
        this.level = level;
        this.minBytes = minBytes;
        this.topicMinBytes = Map.copyOf(topicMinBytes);
    }

    /**
     * Compression on, at zlib {@code level} (1–9), for payloads of at least {@code minBytes}, or of the size
     * {@code topicMinBytes} names for a record's topic.
     */
    public static FrameCompression on(int level, int minBytes, Map<String, Integer> topicMinBytes) {
        if (level < 1 || level > 9) {
            throw new IllegalArgumentException("level " + level + " is not 1-9");
        }
        return new FrameCompression(true, level, minBytes, topicMinBytes);
    }

    /**
     * Parses {@code TOPIC=BYTES,...}: per-topic minimum payload sizes.
     *
     * @throws IllegalArgumentException naming the bad entry
     */
    public static Map<String, Integer> parseTopicMinBytes(String spec) {
        return TopicSettings.parse(spec, "TOPIC=BYTES", (topic, text) -> {
            int bytes;
            try {
                bytes = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not a byte count");
            }
            if (bytes < 0) {
                throw new IllegalArgumentException("topic " + topic + ": a negative byte count");
            }
            return bytes;
        });
    }

    /** Whether connections that offer permessage-deflate get it. */
    public boolean enabled() {
        return enabled;
    }

    /** The per-topic minimum sizes, for validation against the served topics. */
    public Map<String, Integer> topicMinBytes() {
        return topicMinBytes;
    }

    /**
     * {@code frame} (a complete server frame, unread bytes only) compressed: a new frame with RSV1 set, or null
     * when its payload is below {@code topic}'s minimum or does not shrink.
     */
    public ByteBuf compress(String topic, ByteBuf frame, ByteBufAllocator alloc) {
        int start = frame.readerIndex();
        int payloadAt = payloadOffset(frame.getByte(start + 1));
        int payloadLength = frame.readableBytes() - payloadAt;
        if (!worthTrying(topic, payloadLength)) {
            return null;
        }
        ByteBuffer payload = frame.nioBuffer(start + payloadAt, payloadLength);
        return deflate(frame.getByte(start) & 0x0F, payload, payloadLength, alloc);
    }

    /** As {@link #compress(String, ByteBuf, ByteBufAllocator)} for a frame held in an array; null if not worth it. */
    public byte[] compress(String topic, byte[] frame) {
        int payloadAt = payloadOffset(frame[1]);
        int payloadLength = frame.length - payloadAt;
        if (!worthTrying(topic, payloadLength)) {
            return null;
        }
        ByteBuf compressed = deflate(frame[0] & 0x0F, ByteBuffer.wrap(frame, payloadAt, payloadLength), payloadLength,
                ByteBufAllocator.DEFAULT);
        if (compressed == null) {
            return null;
        }
        try {
            byte[] bytes = new byte[compressed.readableBytes()];
            compressed.readBytes(bytes);
            return bytes;
        } finally {
            compressed.release();
        }
    }

    private boolean worthTrying(String topic, int payloadLength) {
        return payloadLength >= topicMinBytes.getOrDefault(topic, minBytes);
    }

    /**
     * Deflates {@code payload} into a new frame of {@code opcode}; null when the result would not be smaller
     * than the uncompressed payload. The output buffer is as large as the payload: DEFLATE output that does not
     * fit there is not worth sending.
     */
    private ByteBuf deflate(int opcode, ByteBuffer payload, int payloadLength, ByteBufAllocator alloc) {
        Deflater deflater = deflaters.get();
        deflater.reset();
        deflater.setInput(payload);
        // Room for the header (at most 10 bytes) and for the tail the sync flush writes and RFC 7692 removes.
        int room = payloadLength + SYNC_TAIL;
        ByteBuf out = alloc.directBuffer(10 + room);
        boolean fits;
        try {
            out.writerIndex(10);
            ByteBuffer target = out.nioBuffer(10, room);
            int written = deflater.deflate(target, Deflater.SYNC_FLUSH);
            // Output that filled the room may be unfinished; either way it is no smaller than the payload.
            fits = written < room && deflater.needsInput();
            if (fits) {
                int compressedLength = written - SYNC_TAIL;
                fits = compressedLength < payloadLength;
                if (fits) {
                    int header = ServerFrames.headerLength(compressedLength);
                    int at = 10 - header;
                    out.readerIndex(at);
                    out.writerIndex(at);
                    ServerFrames.writeHeader(out, FIN_RSV1 | opcode, compressedLength);
                    out.writerIndex(10 + compressedLength);
                }
            }
        } catch (RuntimeException | Error e) {
            out.release();
            throw e;
        }
        if (!fits) {
            out.release();
            return null;
        }
        return out;
    }

    /** Where the payload of a server frame (unmasked) starts, from its second header byte. */
    private static int payloadOffset(byte secondHeaderByte) {
        int length = secondHeaderByte & 0x7F;
        return length <= 125 ? 2 : length == 126 ? 4 : 10;
    }
}
