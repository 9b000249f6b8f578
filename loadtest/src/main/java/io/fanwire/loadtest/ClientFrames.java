package io.fanwire.loadtest;

import com.google.protobuf.ByteString;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Ping;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Publish;
import io.fanwire.protocol.v1.Subscribe;
import java.util.Map;

/**
 * The requests a load-test user sends (PROTOCOL.md §3.1), as {@link ClientFrame}s for {@link WireFormat} to
 * encode.
 *
 * <p>Stateless; any thread.
 */
public final class ClientFrames {

    private ClientFrames() {
    }

    /** Subscribe to {@code channel}; with {@code resumeFrom} non-empty, resume after those positions. */
    public static ClientFrame subscribe(long id, String channel, boolean snapshot, Iterable<Position> resumeFrom) {
        Subscribe.Builder subscribe = Subscribe.newBuilder().setChannel(channel).setSnapshot(snapshot);
        resumeFrom.forEach(subscribe::addResumeFrom);
        return ClientFrame.newBuilder().setId(id).setSubscribe(subscribe).build();
    }

    /** Publish {@code payload} to {@code channel} with Kafka record headers. */
    public static ClientFrame publish(long id, String channel, byte[] payload, Map<String, String> headers) {
        return ClientFrame.newBuilder().setId(id).setPublish(Publish.newBuilder().setChannel(channel)
                .setPayload(ByteString.copyFrom(payload)).putAllHeaders(headers)).build();
    }

    /** An application-level ping: answered with {@code ok} while the connection is served. */
    public static ClientFrame ping(long id) {
        return ClientFrame.newBuilder().setId(id).setPing(Ping.getDefaultInstance()).build();
    }
}
