package io.fanwire.loadtest;

import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.PopulationBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A mixed profile for a long run (10 minutes by default): most users take the whole topic, some take keyed
 * channels ({@code fanwire.channel}), a few publish and time their round trips, and some keyed users drop
 * and resume every {@code fanwire.reconnect.after.s}; the simulation produces {@code fanwire.rate} records
 * per second throughout. The same assertions hold for the whole run: failures, delivery p99, every record
 * received by every subscriber, across its reconnects.
 */
public class SoakSimulation extends FanwireSimulation {

    public SoakSimulation() {
        super(Map.of(Knob.RAMP, "30", Knob.DURATION, "600", Knob.RECONNECT_AFTER, "60"), true);
        if (feed == null) {
            throw new IllegalArgumentException("Soak produces records: " + Knob.RATE.key() + " must be above 0");
        }
        int keyed = settings.users() * settings.soakKeyedPercent() / 100;
        int reconnecting = keyed * settings.soakReconnectingPercent() / 100;
        int publishers = settings.users() * settings.soakPublishersPercent() / 100;
        int whole = settings.users() - keyed - publishers;
        String topic = settings.channel().topic();
        Duration ramp = settings.ramp();

        List<PopulationBuilder> populations = new ArrayList<>();
        if (whole > 0) {
            populations.add(scenario("soak whole-topic subscribers").exec(stats.capture())
                    .feed(steps.users(user -> topic, true))
                    .exec(steps.connect(UserSteps.UPGRADE, false)).exec(steps.subscribe(false, false))
                    .exec(steps.holdUntilLoadEnds()).exec(steps.settleAndJudge()).exec(steps.pingAndClose())
                    .injectOpen(rampUsers(whole).during(ramp)));
        }
        if (keyed - reconnecting > 0) {
            populations.add(scenario("soak keyed subscribers").exec(stats.capture())
                    .feed(steps.users())
                    .exec(steps.connect(UserSteps.UPGRADE, false)).exec(steps.subscribe(false, false))
                    .exec(steps.holdUntilLoadEnds()).exec(steps.settleAndJudge()).exec(steps.pingAndClose())
                    .injectOpen(rampUsers(keyed - reconnecting).during(ramp)));
        }
        if (reconnecting > 0) {
            populations.add(scenario("soak reconnecting subscribers").exec(stats.capture())
                    .feed(steps.users())
                    .exec(steps.connect(UserSteps.UPGRADE, false)).exec(steps.subscribe(false, false))
                    .asLongAs(session -> timeline.loading()).on(steps.holdFor(settings.reconnectAfter())
                            .exec(steps.dropAndResume(settings.offline())))
                    .exec(steps.settleAndJudge()).exec(steps.pingAndClose())
                    .injectOpen(rampUsers(reconnecting).during(ramp)));
        }
        if (publishers > 0) {
            populations.add(scenario("soak publishers").exec(stats.capture())
                    .feed(steps.users(user -> topic + "/rt-" + user, false))
                    .exec(steps.connect(UserSteps.UPGRADE, false)).exec(steps.subscribe(false, false))
                    .exec(steps.publishUntilLoadEnds(settings.publishInterval())).exec(steps.pingAndClose())
                    .injectOpen(rampUsers(publishers).during(ramp)));
        }
        populations.add(producer());
        setUp(populations).protocols(protocol())
                .assertions(failedAtMost(), p99(UserSteps.DELIVERY), everyRecordReceived(), someUsersJudged())
                .maxDuration(settings.maxRunTime());
    }
}
