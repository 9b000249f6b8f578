package io.fanwire.loadtest;

import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.util.Map;

/**
 * N subscribers hold their connections while the simulation produces {@code fanwire.rate} records per
 * second into Kafka, each carrying its send time; every subscriber checks that it receives every record of
 * its channel sent after it subscribed, once and in order per key.
 *
 * <p>Report: {@code delivery}, one request per record per subscriber, timed from the producer's send to the
 * subscriber's receipt: the end-to-end delivery latency as a distribution. {@code every record received}:
 * one per subscriber, failed with what was lost or duplicated. {@code produce}: Kafka's acknowledgements.
 */
public class FanoutSimulation extends FanwireSimulation {

    public FanoutSimulation() {
        super(Map.of(), true);
        if (feed == null) {
            throw new IllegalArgumentException("Fanout produces records: " + Knob.RATE.key() + " must be above 0");
        }
        var subscribers = scenario("fanout subscribers")
                .exec(stats.capture())
                .feed(steps.users())
                .exec(steps.connect(UserSteps.UPGRADE, false))
                .exec(steps.subscribe(false, false))
                .exec(steps.holdUntilLoadEnds())
                .exec(steps.settleAndJudge())
                .exec(steps.pingAndClose());
        setUp(subscribers.injectOpen(rampUsers(settings.users()).during(settings.ramp())), producer())
                .protocols(protocol())
                .assertions(failedAtMost(), p99(UserSteps.DELIVERY), everyRecordReceived(), someUsersJudged())
                .maxDuration(settings.maxRunTime());
    }
}
