package io.fanwire.loadtest;

import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Ramp to N users; each upgrades (with its token when the target needs one), subscribes (with a snapshot
 * by default: dev mode's {@code quotes} keeps one), and waits for the {@code subscribed} reply and its first
 * record; then holds its connection until the load phase ends and checks it is still served.
 *
 * <p>Report: {@code upgrade} (connect to 101) and {@code subscribed} / {@code first record} (subscribe sent
 * to reply / to first record) as percentiles; failures named by answer (the HTTP status of a refused
 * upgrade, the error code of a refused subscribe, the close code, or a timeout). With {@code fanwire.rate}
 * above 0 it also produces records, for a channel nothing else writes to.
 */
public class ConnectAndSubscribeSimulation extends FanwireSimulation {

    public ConnectAndSubscribeSimulation() {
        super(Map.of(Knob.CHANNEL, "quotes", Knob.SNAPSHOT, "true", Knob.RATE, "0", Knob.DURATION, "20"), true);
        ScenarioBuilder users = scenario("connect and subscribe")
                .exec(stats.capture())
                .feed(steps.users())
                .exec(steps.connect(UserSteps.UPGRADE, false))
                .exec(steps.subscribe(false, true))
                .exec(steps.holdUntilLoadEnds())
                .exec(steps.pingAndClose());
        List<PopulationBuilder> populations = new ArrayList<>();
        populations.add(users.injectOpen(rampUsers(settings.users()).during(settings.ramp())));
        if (feed != null) {
            populations.add(producer());
        }
        setUp(populations).protocols(protocol())
                .assertions(failedAtMost(), p99(UserSteps.UPGRADE), p99(UserSteps.SUBSCRIBED),
                        p99(UserSteps.FIRST_RECORD))
                .maxDuration(settings.maxRunTime());
    }
}
