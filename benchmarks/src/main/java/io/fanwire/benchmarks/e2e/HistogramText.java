package io.fanwire.benchmarks.e2e;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * How a swarm process hands a latency histogram to the runner on one stdout line: HdrHistogram's compressed
 * encoding in base64. Stateless; any thread.
 */
final class HistogramText {

    private HistogramText() {
    }

    static String encode(Histogram histogram) {
        ByteBuffer encoded = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        int length = histogram.encodeIntoCompressedByteBuffer(encoded);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(encoded.array(), length));
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (DataFormatException e) {
            throw new IllegalStateException("a swarm process sent a malformed histogram", e);
        }
    }
}
