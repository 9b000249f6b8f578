package io.fanwire.benchmarks.e2e;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Inflates the payload of one permessage-deflate message (RFC 7692): raw DEFLATE ({@code nowrap}), with the
 * {@code 00 00 ff ff} the sender stripped appended again (§7.2.2), and the inflater reset before every message,
 * which is right only because the server agreed to {@code server_no_context_takeover} (each message compressed
 * on its own). One per connection, on its event loop; the returned buffer is its own and valid until the next
 * call.
 */
final class MessageInflater implements AutoCloseable {

    private static final byte[] TAIL = {0x00, 0x00, (byte) 0xff, (byte) 0xff};

    private final Inflater inflater = new Inflater(true);
    private byte[] input = new byte[1024];
    private byte[] output = new byte[4096];
    private ByteBuf outputBuf = Unpooled.wrappedBuffer(output);

    /** The inflated message whose compressed bytes are {@code buf[offset, offset + length)}. */
    ByteBuf inflate(ByteBuf buf, int offset, int length) {
        if (input.length < length + TAIL.length) {
            input = new byte[Math.max(length + TAIL.length, input.length * 2)];
        }
        buf.getBytes(offset, input, 0, length);
        System.arraycopy(TAIL, 0, input, length, TAIL.length);
        inflater.reset();
        inflater.setInput(input, 0, length + TAIL.length);
        int total = 0;
        try {
            while (true) {
                if (total == output.length) {
                    byte[] bigger = new byte[output.length * 2];
                    System.arraycopy(output, 0, bigger, 0, total);
                    output = bigger;
                    outputBuf = Unpooled.wrappedBuffer(output);
                }
                int n = inflater.inflate(output, total, output.length - total);
                total += n;
                if (n == 0 && (inflater.needsInput() || inflater.finished())) {
                    break;
                }
                if (n == 0 && total < output.length) {
                    throw new IllegalStateException("permessage-deflate message needs a preset dictionary");
                }
            }
        } catch (DataFormatException e) {
            throw new IllegalStateException("malformed permessage-deflate message: " + e.getMessage(), e);
        }
        return outputBuf.setIndex(0, total);
    }

    @Override
    public void close() {
        inflater.end();
    }
}
