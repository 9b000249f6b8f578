package io.fanwire.loadtest;

import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.fanwire.protocol.v1.ServerFrame;
import io.gatling.http.action.ws.WsInboundMessage;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.WsConnectActionBuilder;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The steps a Fanwire load-test user is made of, shared by the simulations: who it is (a feeder), upgrade,
 * subscribe or resume, read what arrives into its {@link DeliveryLedger}, hold, settle and judge, publish
 * and time the round trip, check that the connection is still served, close. Request names are constants:
 * they are what the report and the assertions show.
 *
 * <p>Built on Gatling's start thread; the session functions run on each user's event loop.
 */
public final class UserSteps {

    public static final String UPGRADE = "upgrade";
    public static final String SUBSCRIBED = "subscribed";
    public static final String FIRST_RECORD = "first record";
    public static final String DELIVERY = "delivery";
    public static final String EVERY_RECORD = "every record received";
    public static final String RECONNECT = "reconnect";
    public static final String RESUMED = "resumed";
    public static final String ROUND_TRIP = "round trip";
    public static final String STILL_CONNECTED = "still connected";
    public static final String PRODUCE = "produce";

    /** Header of a published record that lets its publisher recognise it. */
    static final String NONCE_HEADER = "loadtest-nonce";
    /** How often a subscriber reads what its connection received. */
    static final Duration READ_INTERVAL = Duration.ofMillis(500);
    private static final Duration SETTLE_INTERVAL = Duration.ofMillis(200);

    private static final String USER = "user";
    private static final String URL = "url";
    private static final String RECONNECT_URL = "reconnectUrl";
    private static final String TOKEN = "token";
    private static final String CHANNEL = "channel";
    private static final String LEDGER = "ledger";
    private static final String NEXT_ID = "nextId";
    private static final String REQUEST_ID = "requestId";
    private static final String NONCE = "nonce";
    private static final String REPLY = "reply";
    private static final String SUBSCRIBED_AT = "subscribedAt";

    private final LoadSettings settings;
    private final RecordFeed feed;
    private final GatlingStats stats;
    private final Timeline timeline;
    private final FrameChecks frames;
    private final AtomicInteger userNumbers = new AtomicInteger();
    private final byte[] publishPayload;

    /** {@code feed} may be null when the simulation produces nothing (then no ledger is kept). */
    public UserSteps(LoadSettings settings, RecordFeed feed, GatlingStats stats, Timeline timeline) {
        this.settings = settings;
        this.feed = feed;
        this.stats = stats;
        this.timeline = timeline;
        this.frames = new FrameChecks(settings.wire(), settings.timeout());
        this.publishPayload = new byte[settings.payloadBytes()];
        java.util.Arrays.fill(publishPayload, (byte) 'p');
    }

    /** Users on {@code fanwire.channel}, numbered across all the simulation's scenarios. */
    public Iterator<Map<String, Object>> users() {
        return users(user -> settings.channel().channelFor(user, settings.tokens().subjectFor(user)), true);
    }

    /**
     * Users whose channel is {@code channelOf(user number)}; with {@code judged}, each keeps a
     * {@link DeliveryLedger} of the feed's records (the channel must be one the feed produces to).
     */
    public Iterator<Map<String, Object>> users(IntFunction<String> channelOf, boolean judged) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Map<String, Object> next() {
                int user = userNumbers.getAndIncrement();
                String channel = channelOf.apply(user);
                Map<String, Object> attributes = new HashMap<>();
                attributes.put(USER, user);
                attributes.put(URL, settings.urlFor(user).toString());
                attributes.put(RECONNECT_URL, settings.reconnectUrlFor(user).toString());
                attributes.put(CHANNEL, channel);
                attributes.put(NEXT_ID, 1L);
                settings.tokens().tokenFor(user).ifPresent(token -> attributes.put(TOKEN, "Bearer " + token));
                if (judged && feed != null) {
                    attributes.put(LEDGER, new DeliveryLedger(feed, channel));
                }
                return attributes;
            }
        };
    }

    /** The WebSocket upgrade to the user's URL (or its reconnect URL), with its token; a failure ends the user. */
    public ChainBuilder connect(String request, boolean reconnect) {
        WsConnectActionBuilder connect = ws(request)
                .connect(session -> session.getString(reconnect ? RECONNECT_URL : URL))
                .subprotocol(settings.wire().subprotocol());
        if (settings.tokens().tokenFor(0).isPresent()) {
            connect = connect.header("Authorization", session -> session.getString(TOKEN));
        }
        return exec(connect).exitHereIfFailed();
    }

    /**
     * Subscribes to the user's channel: {@code subscribe} then the {@code subscribed} reply, and with
     * {@code firstRecord} also the first record (or snapshot value); a refusal ends the user. With
     * {@code resume}, resubscribes from the ledger's positions (request {@code resume}, check
     * {@code resumed}).
     */
    public ChainBuilder subscribe(boolean resume, boolean firstRecord) {
        String request = resume ? "resume" : "subscribe";
        String check = resume ? RESUMED : SUBSCRIBED;
        var reply = frames.reply(check, REQUEST_ID, REPLY);
        var send = firstRecord
                ? frames.send(request, this::subscribeFrame, reply, frames.firstRecord(FIRST_RECORD))
                : frames.send(request, this::subscribeFrame, reply);
        return exec(this::nextRequestId).exec(send).exitHereIfFailed().exec(session -> {
            DeliveryLedger ledger = session.get(LEDGER);
            if (ledger != null) {
                ServerFrame frame = session.get(REPLY);
                ledger.onSubscribed(frame.getReply().getSubscribed().getPositionsList());
            }
            return session.contains(SUBSCRIBED_AT) ? session
                    : session.set(SUBSCRIBED_AT, System.currentTimeMillis());
        });
    }

    private io.fanwire.protocol.v1.ClientFrame subscribeFrame(Session session) {
        DeliveryLedger ledger = session.get(LEDGER);
        boolean resuming = ledger != null && session.contains(SUBSCRIBED_AT);
        return ClientFrames.subscribe(session.getLong(REQUEST_ID), session.getString(CHANNEL),
                settings.snapshot() && !resuming, resuming ? ledger.resumePositions() : List.of());
    }

    /** Reads every message received since the last read into the ledger (or drops them without one). */
    public ChainBuilder read() {
        return exec(ws.processUnmatchedMessages((messages, session) -> {
            DeliveryLedger ledger = session.get(LEDGER);
            if (ledger == null) {
                return session;
            }
            if (messages.size() >= settings.bufferMessages()) {
                ledger.clientBufferFull(messages.size());
            }
            for (WsInboundMessage message : messages) {
                ServerFrame frame;
                try {
                    frame = message instanceof WsInboundMessage.Text text
                            ? WireFormat.decode(text.message())
                            : WireFormat.decode(((WsInboundMessage.Binary) message).message());
                } catch (IllegalArgumentException e) {
                    ledger.problem(e.getMessage());
                    continue;
                }
                ledger.absorb(frame, message.timestamp(),
                        (sent, received) -> stats.log(session, DELIVERY, sent, received, null));
            }
            return session;
        }));
    }

    /** Holds the connection, reading, until the load phase ends. */
    public ChainBuilder holdUntilLoadEnds() {
        return asLongAs(session -> timeline.loading()).on(pause(READ_INTERVAL).exec(read()));
    }

    /** Holds the connection, reading, for {@code duration} or until the load phase ends. */
    public ChainBuilder holdFor(Duration duration) {
        return exec(session -> session.set("holdUntil", System.currentTimeMillis() + duration.toMillis()))
                .asLongAs(session -> timeline.loading() && System.currentTimeMillis() < session.getLong("holdUntil"))
                .on(pause(READ_INTERVAL).exec(read()));
    }

    /**
     * After the load phase: reads until the feed has finished and every record due has arrived, or the
     * drain time has passed; then logs the user's verdict as {@value #EVERY_RECORD}.
     */
    public ChainBuilder settleAndJudge() {
        return asLongAs(session -> !settled(session)).on(pause(SETTLE_INTERVAL).exec(read()))
                .exec(read())
                .exec(session -> {
                    DeliveryLedger ledger = session.get(LEDGER);
                    Optional<String> verdict = ledger.verdict();
                    stats.log(session, EVERY_RECORD, session.getLong(SUBSCRIBED_AT), System.currentTimeMillis(),
                            verdict.orElse(null));
                    return verdict.isPresent() ? session.markAsFailed() : session;
                });
    }

    private boolean settled(Session session) {
        long now = System.currentTimeMillis();
        long giveUp = timeline.loadEndMillis() + settings.drain().toMillis() + settings.timeout().toMillis() * 3;
        if (now > giveUp) {
            return true;
        }
        if (!feed.finished()) {
            return false;
        }
        DeliveryLedger ledger = session.get(LEDGER);
        return ledger.complete() || now > feed.finishedAtMillis() + settings.drain().toMillis();
    }

    /** Closes the connection, waits {@code offline}, reconnects to the reconnect URL and resumes. */
    public ChainBuilder dropAndResume(Duration offline) {
        return exec(read()).exec(ws("drop").close()).pause(offline)
                .exec(connect(RECONNECT, true)).exec(subscribe(true, false));
    }

    /** Publishes to the user's channel every {@code interval} until the load phase ends, timing each round trip. */
    public ChainBuilder publishUntilLoadEnds(Duration interval) {
        return asLongAs(session -> timeline.loading()).on(pace(interval).exec(roundTrip()));
    }

    private ChainBuilder roundTrip() {
        return exec(session -> {
            Session next = nextRequestId(session);
            return next.set(NONCE, session.getInt(USER) + "-" + next.getLong(REQUEST_ID));
        }).exec(frames.send("publish", session -> ClientFrames.publish(session.getLong(REQUEST_ID),
                        session.getString(CHANNEL), publishPayload, Map.of(NONCE_HEADER, session.getString(NONCE))),
                frames.ownRecord(ROUND_TRIP, NONCE_HEADER, NONCE, REQUEST_ID)));
    }

    /** An application ping: fails when the server has closed the connection meanwhile. Then closes it. */
    public ChainBuilder pingAndClose() {
        return exec(this::nextRequestId)
                .exec(frames.send("ping", session -> ClientFrames.ping(session.getLong(REQUEST_ID)),
                        frames.pong(STILL_CONNECTED, REQUEST_ID)))
                .exec(ws("close").close());
    }

    private Session nextRequestId(Session session) {
        long id = session.getLong(NEXT_ID);
        return session.set(REQUEST_ID, id).set(NEXT_ID, id + 1);
    }
}
