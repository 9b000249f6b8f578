package io.fanwire.gateway.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.google.protobuf.util.JsonFormat;
import io.fanwire.gateway.admin.GatewayMetrics;
import io.fanwire.gateway.auth.AccessRules;
import io.fanwire.gateway.auth.Authenticator;
import io.fanwire.gateway.auth.TokenVerifier;
import io.fanwire.gateway.auth.VerificationKeys;
import io.fanwire.gateway.codec.BadFrameException;
import io.fanwire.gateway.codec.ClientFrameDecoder;
import io.fanwire.gateway.codec.Subprotocol;
import io.fanwire.gateway.config.ClientLimits;
import io.fanwire.gateway.codec.FrameCompression;
import io.fanwire.gateway.codec.PayloadFormats;
import io.fanwire.gateway.config.ConfigKeys;
import io.fanwire.gateway.history.LastValues;
import io.fanwire.gateway.history.RecordHistory;
import io.fanwire.gateway.policy.SlowConsumerPolicies;
import io.fanwire.gateway.policy.SlowConsumerPolicy;
import io.fanwire.gateway.session.IdleSweep;
import io.fanwire.gateway.session.Session;
import io.fanwire.gateway.session.PendingBudget;
import io.fanwire.gateway.session.SessionServices;
import io.fanwire.gateway.session.SessionSettings;
import io.fanwire.gateway.subscription.Subscriptions;
import io.fanwire.gateway.testing.Fuzzer;
import io.fanwire.gateway.testing.LeakDetectionExtension;
import io.fanwire.gateway.testing.TestTokens;
import io.fanwire.protocol.v1.ClientFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Fuzzes what a client controls: the {@code fanwire.v1.proto} and {@code fanwire.v1.json} client-frame
 * decoders, and the HTTP upgrade followed by WebSocket frames through the real pipeline handlers
 * ({@code HttpResponseEncoder}, {@code HttpRequestDecoder}, {@code HttpRequestHandler}, then Netty's WebSocket
 * decoder and the {@code SessionHandler}) in an {@link EmbeddedChannel}. Corpus: {@code src/test/resources/fuzz/}.
 *
 * <p>Properties: a decoder returns a frame or throws {@link BadFrameException}, nothing else, and what it
 * returns survives a re-encoding unchanged; the pipeline never lets an exception escape, never logs a
 * warning or error (the "unexpected error" path), and releases every buffer (leak detector at paranoid
 * level, checked at the end). {@code -Dfuzz.inputs=N} sets the inputs per target (default: a short run for
 * {@code mvn verify}), {@code -Dfuzz.inputs.proto|json|http=N} one target's; {@code gateway/fuzz/run.sh}
 * runs a million.
 */
class ClientInputFuzzTest {

    private static final long INPUTS = Long.getLong("fuzz.inputs", 3_000);
    private static final long SEED = Long.getLong("fuzz.seed", 20261126L);
    /**
     * Leak detection level while fuzzing: paranoid (every buffer, every access recorded) unless
     * {@code -Dfuzz.leak.level=advanced} trades coverage (1 buffer in 128) for speed on very long runs.
     */
    private static final ResourceLeakDetector.Level LEAK_LEVEL = ResourceLeakDetector.Level.valueOf(
            System.getProperty("fuzz.leak.level", "paranoid").toUpperCase(java.util.Locale.ROOT));
    private static final List<String> JSON_TOKENS = List.of("{", "}", "[", "]", "\"", ":", ",", "null", "true",
            "\"id\"", "\"subscribe\"", "\"publish\"", "\"ping\"", "\"refresh\"", "\"unsubscribe\"", "\"channel\"",
            "\"payload\"", "\"headers\"", "\"resumeFrom\"", "\"snapshot\"", "\\u0000", "\\ud800", "1e999",
            "18446744073709551616", "-1", "0.5", "\"quotes/AAPL\"", "{\"a\":", "[[[[[[[[");
    private static final List<String> HTTP_TOKENS = List.of("\r\n", "\r\n\r\n", ": ", "GET ", "POST ", "/ws",
            "/ws?access_token=", "Upgrade: websocket\r\n", "Connection: Upgrade\r\n", "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Version: 8\r\n", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
            "Sec-WebSocket-Protocol: fanwire.v1.proto\r\n", "Sec-WebSocket-Protocol: fanwire.v1.json\r\n",
            "Authorization: Bearer ", "Origin: https://x\r\n", "Transfer-Encoding: chunked\r\n",
            "Content-Length: 5\r\n", "\u0081\u0080\u0000\u0000\u0000\u0000", "\u0088\u0082\u0000\u0000\u0000\u0000\u0003\u00e8",
            "\u0089\u0080\u0000\u0000\u0000\u0000", "\u0001\u0080\u0000\u0000\u0000\u0000", "\u0080\u0080\u0000\u0000\u0000\u0000");

    private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();
    private static final AppenderBase<ILoggingEvent> WARNING_CATCHER = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.WARN) && event.getLoggerName().startsWith("io.fanwire")) {
                WARNINGS.add(event.getLoggerName() + ": " + event.getFormattedMessage());
            }
        }
    };

    private static VerificationKeys keys;
    private static Authenticator authenticator;
    private static final ChannelGroup CONNECTIONS = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private static final WebSocketDecoderConfig DECODER = WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(65_536).expectMaskedFrames(true).allowMaskMismatch(false)
            .allowExtensions(false).closeOnProtocolViolation(true).withUTF8Validator(false).build();

    @BeforeAll
    static void setUp() {
        ResourceLeakDetector.setLevel(LEAK_LEVEL);
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        WARNING_CATCHER.setContext(root.getLoggerContext());
        WARNING_CATCHER.start();
        root.addAppender(WARNING_CATCHER);
        keys = VerificationKeys.load(TestTokens.SECRET, null, null, Duration.ofHours(1));
        authenticator = new Authenticator(new TokenVerifier(keys, null, null, Duration.ofSeconds(30),
                Clock.systemUTC()), true);
    }

    @AfterAll
    static void tearDown() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(WARNING_CATCHER);
        keys.close();
    }

    @Test
    void protobufDecoder() throws Exception {
        Fuzzer.Report report = new Fuzzer("proto-decoder", Fuzzer.corpus("fuzz/proto"), List.of(), SEED)
                .run(inputs("proto"), input -> decodeAndCheck(new BinaryWebSocketFrame(direct(input)), Subprotocol.PROTO));
        finish(report);
    }

    @Test
    void jsonDecoder() throws Exception {
        Fuzzer.Report report = new Fuzzer("json-decoder", Fuzzer.corpus("fuzz/json"), JSON_TOKENS, SEED)
                .run(inputs("json"), input -> decodeAndCheck(new TextWebSocketFrame(direct(input)), Subprotocol.JSON));
        finish(report);
    }

    @Test
    void httpUpgradeAndSession() throws Exception {
        SplittableRandom chunks = new SplittableRandom(SEED);
        Fuzzer.Report report = new Fuzzer("http-upgrade", Fuzzer.corpus("fuzz/http"), HTTP_TOKENS, SEED)
                .run(inputs("http"), input -> throughThePipeline(input, chunks));
        finish(report);
    }

    /** {@code -Dfuzz.inputs.NAME} for one target, else {@code -Dfuzz.inputs}. */
    private static long inputs(String target) {
        return Long.getLong("fuzz.inputs." + target, INPUTS);
    }

    private static void finish(Fuzzer.Report report) throws InterruptedException {
        int leaks = LeakDetectionExtension.reportedLeaks();
        System.out.println(report + ", " + leaks + " leaks (leak detection " + LEAK_LEVEL + ")");
        assertEquals(0, report.crashes(), report.toString());
        assertEquals(0, leaks, "leak reports");
    }

    private static ByteBuf direct(byte[] input) {
        return PooledByteBufAllocator.DEFAULT.directBuffer(input.length).writeBytes(input);
    }

    /** Property of the decoders: a frame or BadFrameException; a decoded frame survives re-encoding. */
    private static void decodeAndCheck(WebSocketFrame frame, Subprotocol protocol) throws Exception {
        try {
            ClientFrame decoded = ClientFrameDecoder.decode(frame, protocol);
            ClientFrame again = switch (protocol) {
                case PROTO -> ClientFrame.parseFrom(decoded.toByteArray());
                case JSON -> {
                    ClientFrame.Builder builder = ClientFrame.newBuilder();
                    JsonFormat.parser().merge(JsonFormat.printer().print(decoded), builder);
                    yield builder.build();
                }
            };
            if (!decoded.equals(again)) {
                throw new AssertionError("re-encoding changed the frame: " + decoded + " / " + again);
            }
        } catch (BadFrameException expected) {
            // The documented answer: BAD_REQUEST.
        } finally {
            frame.release();
        }
    }

    /**
     * Property of the pipeline: the HTTP head (up to the first blank line) and then the rest, in random
     * chunks, as a client would send them; no exception escapes, nothing is logged as unexpected, and every
     * buffer written back is released here.
     */
    private static void throughThePipeline(byte[] input, SplittableRandom chunks) throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel();
        Subscriptions<Session> subscriptions = new Subscriptions<>(List.of(channel.eventLoop()),
                List.of("quotes", "inbox"));
        // No Kafka here: no partitions known, so resume positions are refused and nothing reads Kafka.
        SessionServices services = new SessionServices(subscriptions, new GatewayMetrics(), null,
                new RecordHistory(0, 1), null, new LastValues(List.of(), 1),
                List.of(new IdleSweep(channel.eventLoop(), Duration.ofSeconds(20), Duration.ofSeconds(60))),
                authenticator, AccessRules.parse(ConfigKeys.AUTH_RULES.defaultValue()),
                new ClientLimits(50_000, 512, 1_000, Duration.ofSeconds(10), List.of("*"), 100, 1_000, 32_768), () -> true,
                new SessionSettings(65_536, 256, 1000, 16 << 20, SlowConsumerPolicies.always(SlowConsumerPolicy.CONFLATE),
                        PayloadFormats.none()), new PendingBudget(Long.MAX_VALUE, 1));
        channel.pipeline().addLast(GatewayChannelInitializer.HTTP_ENCODER, new HttpResponseEncoder());
        channel.pipeline().addLast(GatewayChannelInitializer.HTTP_DECODER, new HttpRequestDecoder());
        channel.pipeline().addLast(GatewayChannelInitializer.AGGREGATOR, new HttpObjectAggregator(16 * 1024));
        channel.pipeline().addLast(GatewayChannelInitializer.REQUEST,
                new HttpRequestHandler(new WebSocketSettings("/ws", DECODER, Duration.ofSeconds(10),
                        new WebAssets(Map.of()), false, new PermessageDeflate(FrameCompression.on(6, 0, Map.of()),
                        DECODER)), services, CONNECTIONS));
        int warningsBefore = WARNINGS.size();
        try {
            int head = indexOf(input, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            int at = head < 0 ? input.length : head + 4;
            feed(channel, Arrays.copyOfRange(input, 0, at));
            while (at < input.length && channel.isOpen()) {
                int size = 1 + chunks.nextInt(Math.min(input.length - at, 64) + 1);
                size = Math.min(size, input.length - at);
                feed(channel, Arrays.copyOfRange(input, at, at + size));
                at += size;
            }
            channel.runPendingTasks();
            channel.checkException();
        } finally {
            channel.finishAndReleaseAll();
        }
        if (WARNINGS.size() > warningsBefore) {
            throw new AssertionError("logged: " + WARNINGS.subList(warningsBefore, WARNINGS.size()));
        }
    }

    private static void feed(EmbeddedChannel channel, byte[] bytes) {
        if (!channel.isOpen()) {
            return;
        }
        channel.writeInbound(PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes));
        for (Object out; (out = channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(out);
        }
        for (Object in; (in = channel.readInbound()) != null; ) {
            ReferenceCountUtil.release(in);
        }
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
