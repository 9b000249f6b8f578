package io.fanwire.gateway.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fanwire.protocol.v1.ClientFrame;
import io.fanwire.protocol.v1.Ping;
import io.fanwire.protocol.v1.Position;
import io.fanwire.protocol.v1.Publish;
import io.fanwire.protocol.v1.Reply;
import io.fanwire.protocol.v1.ServerFrame;
import io.fanwire.protocol.v1.Subscribe;
import io.fanwire.protocol.v1.Unsubscribe;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The handler's dispatch and its refusals: each refused request gets exactly one error reply with its id, its
 * stable code and a sentence; only BAD_REQUEST counts as a bad request; a refused subscribe registers nothing.
 */
class SessionHandlerTest {

    private TestConnection connection;

    @AfterEach
    void close() {
        connection.close();
    }

    @Test
    void aFrameThatDoesNotDecodeIsABadRequestWithIdZero() {
        connection = new TestConnection();
        connection.sendRaw(new byte[] {(byte) 0xFF, 0x01, 0x02});
        assertRefused(0, "BAD_REQUEST");
        assertEquals(1, connection.metric("fanwire_bad_requests_total"));
    }

    @Test
    void aFrameThatNamesNoRequestIsABadRequest() {
        connection = new TestConnection();
        long id = connection.send(ClientFrame.newBuilder());
        assertRefused(id, "BAD_REQUEST");
    }

    @Test
    void pingIsAnsweredOk() {
        connection = new TestConnection();
        long id = connection.send(ClientFrame.newBuilder().setPing(Ping.getDefaultInstance()));
        Reply reply = connection.onlyFrame().getReply();
        assertEquals(id, reply.getId());
        assertTrue(reply.hasOk());
    }

    @Test
    void aTopicThatIsNotServedIsNotFound() {
        connection = new TestConnection();
        long id = connection.subscribe("nosuchtopic");
        assertRefused(id, "NOT_FOUND");
        assertEquals(0, connection.metric("fanwire_bad_requests_total"), "NOT_FOUND is no bad request");
    }

    @Test
    void anInvalidChannelNameIsABadRequest() {
        connection = new TestConnection();
        assertRefused(connection.subscribe("quotes/"), "BAD_REQUEST");
        assertRefused(connection.subscribe("x".repeat(300)), "BAD_REQUEST");
    }

    @Test
    void theAccessRulesCanForbidAChannel() {
        connection = new TestConnection(new TestConnection.Settings().rules("any quotes/secret nobody; any * anyone"));
        assertRefused(connection.subscribe("quotes/secret"), "FORBIDDEN");
        assertEquals(0, connection.subscriptions.table(0).size(), "a refused subscription is not registered");
    }

    @Test
    void snapshotAndResumeCannotBeCombined() {
        connection = new TestConnection(new TestConnection.Settings().snapshotTopics(TestConnection.TOPIC));
        long id = connection.subscribe(Subscribe.newBuilder().setChannel("quotes").setSnapshot(true)
                .addResumeFrom(Position.newBuilder().setPartition(0).setOffset(1)));
        assertRefused(id, "BAD_REQUEST");
    }

    @Test
    void aSnapshotOfATopicThatKeepsNoneIsABadRequest() {
        connection = new TestConnection();
        assertRefused(connection.subscribe(Subscribe.newBuilder().setChannel("quotes").setSnapshot(true)),
                "BAD_REQUEST");
    }

    @Test
    void maxRateMustBeZeroOrAtLeastTheMinimum() {
        connection = new TestConnection();
        assertRefused(connection.subscribe(Subscribe.newBuilder().setChannel("quotes").setMaxRate(0.001)),
                "BAD_REQUEST");
        assertRefused(connection.subscribe(Subscribe.newBuilder().setChannel("quotes").setMaxRate(-1)),
                "BAD_REQUEST");
        assertRefused(connection.subscribe(Subscribe.newBuilder().setChannel("quotes").setMaxRate(Double.NaN)),
                "BAD_REQUEST");
    }

    @Test
    void aResumePositionOfAnUnknownPartitionIsABadRequest() {
        connection = new TestConnection();
        assertRefused(connection.resume("quotes", 7, 1), "BAD_REQUEST");
        assertRefused(connection.resume("quotes", 0, -2), "BAD_REQUEST");
        assertEquals(0, connection.subscriptions.table(0).size());
    }

    @Test
    void subscriptionsAreLimitedPerConnection() {
        connection = new TestConnection(new TestConnection.Settings().maxSubscriptions(2));
        assertSubscribed(connection.subscribe("quotes/A"));
        assertSubscribed(connection.subscribe("quotes/B"));
        assertRefused(connection.subscribe("quotes/C"), "LIMIT_EXCEEDED");
        assertEquals(2, connection.session().subscriptionCount());
    }

    @Test
    void subscribingAgainIsAnsweredButResumingASubscribedChannelIsRefused() {
        connection = new TestConnection();
        assertSubscribed(connection.subscribe("quotes"));
        assertSubscribed(connection.subscribe("quotes"));
        assertRefused(connection.resume("quotes", 0, 0), "BAD_REQUEST");
        assertEquals(1, connection.session().subscriptionCount());
    }

    @Test
    void publishingIsForbiddenWhenDisabled() {
        connection = new TestConnection();
        long id = connection.send(ClientFrame.newBuilder().setPublish(
                Publish.newBuilder().setChannel("quotes/A").setPayload(ByteString.copyFromUtf8("x"))));
        assertRefused(id, "FORBIDDEN");
    }

    @Test
    void unsubscribeIsOkAndStopsDelivery() {
        connection = new TestConnection();
        assertSubscribed(connection.subscribe("quotes"));
        connection.publish(0, 0, "A");
        assertEquals(1, connection.frames().size());
        long id = connection.send(ClientFrame.newBuilder()
                .setUnsubscribe(Unsubscribe.newBuilder().setChannel("quotes")));
        assertEquals(id, connection.onlyFrame().getReply().getId());
        connection.publish(0, 1, "A");
        assertEquals(0, connection.frames().size());
        assertEquals(0, connection.subscriptions.table(0).size());
    }

    private void assertSubscribed(long id) {
        ServerFrame frame = connection.onlyFrame();
        assertEquals(id, frame.getReply().getId());
        assertTrue(frame.getReply().hasSubscribed(), frame.toString());
    }

    private void assertRefused(long id, String code) {
        ServerFrame frame = connection.onlyFrame();
        assertEquals(id, frame.getReply().getId(), frame.toString());
        assertEquals(code, frame.getReply().getError().getCode(), frame.toString());
        assertTrue(frame.getReply().getError().getMessage().length() > 10, "a sentence: " + frame);
    }
}
