package io.fanwire.loadtest;

import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.time.Duration;
import java.util.Map;

/**
 * Each user subscribes to a channel of its own, then publishes to it through the WebSocket and waits for
 * its record to come back through Kafka: the client-to-client latency of the whole system (upgrade aside):
 * frame to the gateway, produce with {@code acks=all}, the broker, every node's ingest, fan-out, frame to the
 * client. The gateway must allow publishing ({@code publish.enabled=true}; dev mode:
 * {@code --publish-enabled true}); else every round trip fails with {@code FORBIDDEN}.
 *
 * <p>Report: {@code round trip}, from the publish frame's send to the record's receipt. {@code fanwire.rate}
 * is the publishes per second over all users.
 */
public class RoundTripSimulation extends FanwireSimulation {

    public RoundTripSimulation() {
        super(Map.of(Knob.USERS, "10", Knob.RAMP, "5", Knob.CHANNEL, "trades/rt-{user}", Knob.RATE, "20"), false);
        if (settings.rate() <= 0) {
            throw new IllegalArgumentException("RoundTrip publishes: " + Knob.RATE.key() + " must be above 0");
        }
        Duration interval = Duration.ofNanos((long) (settings.users() * 1e9 / settings.rate()));
        var publishers = scenario("round trip")
                .exec(stats.capture())
                .feed(steps.users())
                .exec(steps.connect(UserSteps.UPGRADE, false))
                .exec(steps.subscribe(false, false))
                .exec(steps.publishUntilLoadEnds(interval))
                .exec(steps.pingAndClose());
        setUp(publishers.injectOpen(rampUsers(settings.users()).during(settings.ramp())))
                .protocols(protocol())
                .assertions(failedAtMost(), p99(UserSteps.ROUND_TRIP))
                .maxDuration(settings.maxRunTime());
    }
}
