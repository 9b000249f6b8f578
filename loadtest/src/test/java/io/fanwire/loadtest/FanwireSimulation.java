package io.fanwire.loadtest;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.util.Map;

/**
 * What every Fanwire simulation shares: its {@link LoadSettings} (system properties over the simulation's
 * defaults), the Gatling protocol (subprotocol, source addresses, no warm-up request to any other host),
 * the {@link RecordFeed} and the one-user {@code producer} scenario that runs it, and the assertions.
 *
 * <p>Constructed and hooked ({@link #before}, {@link #after}) on Gatling's start thread.
 */
public abstract class FanwireSimulation extends Simulation {

    protected final LoadSettings settings;
    protected final GatlingStats stats = new GatlingStats();
    protected final Timeline timeline;
    /** Null when this simulation produces nothing. */
    protected final RecordFeed feed;
    protected final UserSteps steps;

    protected FanwireSimulation(Map<Knob, String> defaults, boolean produces) {
        settings = LoadSettings.read(defaults);
        timeline = new Timeline(settings.loadPhase().toMillis());
        feed = produces && settings.rate() > 0 ? settings.newFeed() : null;
        steps = new UserSteps(settings, feed, stats, timeline);
    }

    /** The WebSocket protocol: the users' URLs are absolute, so no base URL. */
    protected HttpProtocolBuilder protocol() {
        HttpProtocolBuilder protocol = http.disableWarmUp()
                .wsUnmatchedInboundMessageBufferSize(settings.bufferMessages());
        if (!settings.localAddresses().isEmpty()) {
            protocol = protocol.localAddresses(settings.localAddresses());
        }
        return protocol;
    }

    /** One user that starts the feed at once and ends with the load phase; its acks are {@code produce}. */
    protected PopulationBuilder producer() {
        return scenario("producer").exec(stats.capture()).exec(session -> {
            feed.start(timeline.loadEndMillis(), (sent, acked, error) ->
                    stats.log("producer", UserSteps.PRODUCE, sent, acked, error));
            return session;
        }).injectOpen(atOnceUsers(1));
    }

    /** At most {@code fanwire.assert.failed.percent} of all requests failed. */
    protected Assertion failedAtMost() {
        return global().failedRequests().percent().lte(settings.maxFailedPercent());
    }

    /** The 99th percentile of {@code request} at most {@code fanwire.assert.p99.ms}. */
    protected Assertion p99(String request) {
        return details(request).responseTime().percentile(99.0).lte(settings.maxP99Millis());
    }

    /** Every user that was judged received every record due, and at least one was judged. */
    protected Assertion everyRecordReceived() {
        return details(UserSteps.EVERY_RECORD).failedRequests().count().is(0L);
    }

    /** Some users were judged: a run in which none got that far cannot pass. */
    protected Assertion someUsersJudged() {
        return details(UserSteps.EVERY_RECORD).successfulRequests().count().gt(0L);
    }

    @Override
    public void before() {
        if (feed != null) {
            feed.connect();
        }
        timeline.start();
        System.out.println("fanwire load test: " + settings.users() + " users on " + settings.urls() + ", "
                + settings.wire().subprotocol() + ", channel " + settings.channel().template()
                + (feed == null ? "" : ", producing " + settings.rate() + " records/s to " + feed.topic() + " over "
                + feed.keys().size() + " keys (run " + feed.runId() + ")"));
    }

    @Override
    public void after() {
        if (feed != null) {
            try {
                feed.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
