package io.fanwire.loadtest;

import static io.gatling.javaapi.core.CoreDsl.bodyBytes;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Error;
import io.fanwire.protocol.v1.ServerFrame;
import io.gatling.javaapi.core.ActionBuilder;
import io.gatling.javaapi.core.CheckBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.WsFrameCheck;
import java.time.Duration;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * Sends {@link ClientFrame}s and awaits {@link ServerFrame}s over Gatling's WebSocket support in the run's
 * {@link WireFormat}: text frames for JSON, binary frames for protobuf. Each awaited answer is a Gatling
 * check whose time runs from the send to the matching frame, and whose failure names the answer: the
 * error reply's code and sentence (FORBIDDEN, NOT_FOUND, …), Gatling's own "timeout", or the close code
 * with which the server closed the connection.
 *
 * <p>Immutable; builds scenario steps on Gatling's start thread. The checks run on the user's event loop.
 */
public final class FrameChecks {

    private final WireFormat wire;
    private final Duration timeout;

    public FrameChecks(WireFormat wire, Duration timeout) {
        this.wire = wire;
        this.timeout = timeout;
    }

    /** Sends {@code frame} as request {@code request} and waits, in order, for {@code checks}. */
    public ActionBuilder send(String request, Function<Session, ClientFrame> frame, WsFrameCheck... checks) {
        if (wire.text()) {
            var send = ws(request).sendText(session -> wire.encodeText(frame.apply(session)));
            return checks.length == 0 ? send : send.await(timeout).on(checks);
        }
        var send = ws(request).sendBytes(session -> wire.encodeBinary(frame.apply(session)));
        return checks.length == 0 ? send : send.await(timeout).on(checks);
    }

    /**
     * The reply to the request whose id is in session attribute {@code idAttribute}; fails with its error
     * code and message; saves the reply as {@code saveAs} (a {@link ServerFrame}).
     */
    public WsFrameCheck reply(String check, String idAttribute, String saveAs) {
        return frameCheck(check,
                (frame, session) -> frame.hasReply() && frame.getReply().getId() == session.getLong(idAttribute),
                (frame, session) -> {
                    if (frame.getReply().hasError()) {
                        throw new IllegalStateException(describe(frame.getReply().getError()));
                    }
                    return frame;
                }, saveAs);
    }

    /** The first {@code Message} (a record or a snapshot value). */
    public WsFrameCheck firstRecord(String check) {
        return frameCheck(check, (frame, session) -> frame.hasMessage(), (frame, session) -> frame, null);
    }

    /**
     * The record this user published, recognised by the value of header {@code header} in session attribute
     * {@code nonceAttribute}; or the publish's error reply (id in {@code idAttribute}), which fails the check
     * with its code: a refused publish ends the wait at once instead of timing out.
     */
    public WsFrameCheck ownRecord(String check, String header, String nonceAttribute, String idAttribute) {
        return frameCheck(check,
                (frame, session) -> frame.hasMessage()
                        && session.getString(nonceAttribute).equals(frame.getMessage().getHeadersMap().get(header))
                        || frame.hasReply() && frame.getReply().hasError()
                        && frame.getReply().getId() == session.getLong(idAttribute),
                (frame, session) -> {
                    if (frame.hasReply()) {
                        throw new IllegalStateException("publish refused: " + describe(frame.getReply().getError()));
                    }
                    return frame;
                }, null);
    }

    /** A ping's {@code ok}: the connection is still open and served. */
    public WsFrameCheck pong(String check, String idAttribute) {
        return reply(check, idAttribute, null);
    }

    private WsFrameCheck frameCheck(String check, BiPredicate<ServerFrame, Session> matches,
                                    java.util.function.BiFunction<ServerFrame, Session, ServerFrame> validate,
                                    String saveAs) {
        CheckBuilder.Final match = frame().transformWithSession(matches::test).is(Boolean.TRUE);
        CheckBuilder.Final verify = frame().validate("answer", validate::apply);
        if (saveAs != null) {
            verify = verify.saveAs(saveAs);
        }
        return wire.text()
                ? ws.checkTextMessage(check).matching(match).check(verify)
                : ws.checkBinaryMessage(check).matching(match).check(verify);
    }

    private CheckBuilder.Validate<ServerFrame> frame() {
        return wire.text()
                ? bodyString().transform(WireFormat::decode)
                : bodyBytes().transform(WireFormat::decode);
    }

    private static String describe(Error error) {
        return error.getCode() + ": " + error.getMessage();
    }
}
