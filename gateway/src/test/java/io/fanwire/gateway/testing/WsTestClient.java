package io.fanwire.gateway.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Message;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import io.fanwire.protocol.v1.Unsubscribe;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real WebSocket client for tests: the JDK's {@code java.net.http.WebSocket}, an implementation nobody
 * on this project wrote. Decodes each server frame per the subprotocol it offered and queues it; every
 * wait is bounded.
 */
public final class WsTestClient implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(20);

    private final String subprotocol;
    private final BlockingQueue<ServerFrame> frames = new LinkedBlockingQueue<>();
    /**
     * Frames {@link #awaitReply} took while looking for its reply, in order; read before {@link #frames}. Only
     * the reading thread touches it: putting them back into {@link #frames} would race with frames arriving.
     */
    private final Deque<ServerFrame> pushedBack = new ConcurrentLinkedDeque<>();
    /** Every text frame as received, for tests of the JSON encoding; null when not kept. */
    private final BlockingQueue<String> rawText;
    private final CompletableFuture<Integer> closeStatus = new CompletableFuture<>();
    private final AtomicLong ids = new AtomicLong();
    private final WebSocket socket;
    private volatile String closeReason;

    private WsTestClient(URI uri, String subprotocol, Map<String, String> headers) throws Exception {
        this(HttpClient.newHttpClient(), uri, subprotocol, headers, true);
    }

    private WsTestClient(HttpClient http, URI uri, String subprotocol, Map<String, String> headers, boolean keepRawText)
            throws Exception {
        this.subprotocol = subprotocol;
        this.rawText = keepRawText ? new LinkedBlockingQueue<>() : null;
        this.socket = builder(http, subprotocol, headers).buildAsync(uri, new Listener())
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static WebSocket.Builder builder(String subprotocol, Map<String, String> headers) {
        // A client of its own: one busy connection must not delay another's handshake in a shared selector.
        return builder(HttpClient.newHttpClient(), subprotocol, headers);
    }

    private static WebSocket.Builder builder(HttpClient http, String subprotocol, Map<String, String> headers) {
        WebSocket.Builder builder = http.newWebSocketBuilder().connectTimeout(WAIT);
        if (subprotocol != null) {
            builder.subprotocols(subprotocol);
        }
        headers.forEach(builder::header);
        return builder;
    }

    /** Connects offering {@code subprotocol} (null: offer none). */
    public static WsTestClient connect(URI uri, String subprotocol) throws Exception {
        return new WsTestClient(uri, subprotocol, Map.of());
    }

    /** Connects offering {@code subprotocol} with extra request headers (for example Authorization). */
    public static WsTestClient connect(URI uri, String subprotocol, Map<String, String> headers) throws Exception {
        return new WsTestClient(uri, subprotocol, headers);
    }

    /** Connects with {@code Authorization: Bearer token}, JSON subprotocol. */
    public static WsTestClient withToken(URI uri, String token) throws Exception {
        return connect(uri, "fanwire.v1.json", Map.of("Authorization", "Bearer " + token));
    }

    /**
     * Tries an upgrade that the server is expected to refuse and returns the HTTP status it answered with;
     * fails if the upgrade succeeds.
     */
    public static int refusedUpgradeStatus(URI uri, Map<String, String> headers) throws Exception {
        try {
            WebSocket ws = builder("fanwire.v1.json", headers).buildAsync(uri, new WebSocket.Listener() { })
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            ws.abort();
            throw new AssertionError("the upgrade to " + uri + " was accepted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw e;
        }
    }

    public static WsTestClient json(URI uri) throws Exception {
        return connect(uri, "fanwire.v1.json");
    }

    /**
     * Connects over {@code http}, a client shared with other connections: for swarms of reconnecting clients,
     * where a client (and its selector thread) per connection would pile up threads faster than GC frees them.
     * Text frames are parsed into {@link #poll} only, not kept as {@link #rawText}: a soak client runs for minutes.
     */
    public static WsTestClient connect(HttpClient http, URI uri, String subprotocol) throws Exception {
        return new WsTestClient(http, uri, subprotocol, Map.of(), false);
    }

    public static WsTestClient proto(URI uri) throws Exception {
        return connect(uri, "fanwire.v1.proto");
    }

    /** The subprotocol the server selected ("" for none). */
    public String selectedSubprotocol() {
        return socket.getSubprotocol();
    }

    private boolean binary() {
        return "fanwire.v1.proto".equals(subprotocol);
    }

    /** Sends {@code frame} in this connection's encoding. */
    public void send(ClientFrame frame) throws Exception {
        if (binary()) {
            socket.sendBinary(ByteBuffer.wrap(frame.toByteArray()), true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } else {
            sendText(JsonFormat.printer().print(frame));
        }
    }

    public void sendText(String text) throws Exception {
        socket.sendText(text, true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    public void sendBinary(byte[] bytes) throws Exception {
        socket.sendBinary(ByteBuffer.wrap(bytes), true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Subscribes and returns the reply. */
    public Reply subscribe(String channel) throws Exception {
        long id = ids.incrementAndGet();
        send(ClientFrame.newBuilder().setId(id).setSubscribe(Subscribe.newBuilder().setChannel(channel)).build());
        return awaitReply(id);
    }

    /** Sends {@code subscribe} (channel, snapshot, resume positions) and returns the reply. */
    public Reply subscribe(Subscribe subscribe) throws Exception {
        long id = ids.incrementAndGet();
        send(ClientFrame.newBuilder().setId(id).setSubscribe(subscribe).build());
        return awaitReply(id);
    }

    /** Subscribes {@code channel} from {@code positions} and fails unless the reply is {@code subscribed}. */
    public Reply resume(String channel, List<Position> positions) throws Exception {
        Reply reply = subscribe(Subscribe.newBuilder().setChannel(channel).addAllResumeFrom(positions).build());
        if (!reply.hasSubscribed()) {
            throw new AssertionError("resume " + channel + " failed: " + reply);
        }
        return reply;
    }

    /** Subscribes and fails unless the reply is {@code subscribed}. */
    public void subscribeOk(String channel) throws Exception {
        Reply reply = subscribe(channel);
        if (!reply.hasSubscribed()) {
            throw new AssertionError("subscribe " + channel + " failed: " + reply);
        }
    }

    public Reply unsubscribe(String channel) throws Exception {
        long id = ids.incrementAndGet();
        send(ClientFrame.newBuilder().setId(id).setUnsubscribe(Unsubscribe.newBuilder().setChannel(channel)).build());
        return awaitReply(id);
    }

    /** Sends any request with a fresh id and returns the reply. */
    public Reply request(ClientFrame.Builder request) throws Exception {
        long id = ids.incrementAndGet();
        send(request.setId(id).build());
        return awaitReply(id);
    }

    /** Waits for the reply with {@code id}; messages that arrive first stay queued. */
    public Reply awaitReply(long id) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<ServerFrame> skipped = new ArrayList<>();
        try {
            while (true) {
                ServerFrame frame = next(deadline - System.nanoTime());
                if (frame == null) {
                    throw new AssertionError("no reply with id " + id + " within " + WAIT);
                }
                if (frame.hasReply() && frame.getReply().getId() == id) {
                    return frame.getReply();
                }
                skipped.add(frame);
            }
        } finally {
            // Ahead of whatever else was pushed back, and of everything still arriving: order is kept.
            for (int i = skipped.size() - 1; i >= 0; i--) {
                pushedBack.addFirst(skipped.get(i));
            }
        }
    }

    /** The next server frame, or null if none comes within {@code timeout}. */
    public ServerFrame poll(Duration timeout) throws InterruptedException {
        return next(timeout.toNanos());
    }

    private ServerFrame next(long timeoutNanos) throws InterruptedException {
        ServerFrame frame = pushedBack.pollFirst();
        return frame != null ? frame : frames.poll(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** Waits for the next {@code Message} frame; fails on timeout or if another frame type comes first. */
    public Message awaitMessage() throws InterruptedException {
        ServerFrame frame = poll(WAIT);
        if (frame == null) {
            throw new AssertionError("no message within " + WAIT);
        }
        if (!frame.hasMessage()) {
            throw new AssertionError("expected a message, got " + frame);
        }
        return frame.getMessage();
    }

    /** Waits for {@code count} messages. */
    public List<Message> awaitMessages(int count) throws InterruptedException {
        List<Message> messages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            messages.add(awaitMessage());
        }
        return messages;
    }

    /** Asserts nothing arrives within {@code quiet}. */
    public void assertNothingWithin(Duration quiet) throws InterruptedException {
        ServerFrame frame = poll(quiet);
        if (frame != null) {
            throw new AssertionError("expected nothing, got " + frame);
        }
    }

    /** The raw text of every text frame received, in order (JSON subprotocol). */
    public BlockingQueue<String> rawText() {
        return rawText;
    }

    /** The close status the server sent; fails if the connection does not close within the wait. */
    public int awaitClose() throws Exception {
        return closeStatus.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    public String closeReason() {
        return closeReason;
    }

    public boolean isClosed() {
        return closeStatus.isDone();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String json = text.toString();
                text.setLength(0);
                if (rawText != null) {
                    rawText.add(json);
                }
                ServerFrame.Builder builder = ServerFrame.newBuilder();
                try {
                    JsonFormat.parser().merge(json, builder);
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError("server sent invalid JSON: " + json, e);
                }
                frames.add(builder.build());
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            binary.writeBytes(chunk);
            if (last) {
                try {
                    frames.add(ServerFrame.parseFrom(binary.toByteArray()));
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError("server sent an undecodable binary frame", e);
                }
                binary.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closeReason = reason;
            closeStatus.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closeStatus.complete(-1);
        }
    }
}
