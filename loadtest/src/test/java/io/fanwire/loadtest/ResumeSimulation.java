package io.fanwire.loadtest;

import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;

import java.util.Map;

/**
 * Users connect and receive while records are produced, drop their connection after
 * {@code fanwire.reconnect.after.s}, stay away {@code fanwire.offline.s} while records keep coming, then
 * reconnect (to the next URL of {@code fanwire.url}, or through the balancer to whichever node it picks) and
 * resubscribe with {@code resume_from} = the positions of the last records they read. Each checks that
 * nothing between was lost and nothing was delivered twice, across both connections.
 *
 * <p>Report: {@code reconnect} (the second upgrade), {@code resumed} (resume sent to reply),
 * {@code delivery} (including the records replayed on resume: their latency includes the time away),
 * {@code every record received}.
 */
public class ResumeSimulation extends FanwireSimulation {

    public ResumeSimulation() {
        super(Map.of(Knob.USERS, "50", Knob.RAMP, "5"), true);
        if (feed == null) {
            throw new IllegalArgumentException("Resume produces records: " + Knob.RATE.key() + " must be above 0");
        }
        var users = scenario("resume")
                .exec(stats.capture())
                .feed(steps.users())
                .exec(steps.connect(UserSteps.UPGRADE, false))
                .exec(steps.subscribe(false, false))
                .exec(steps.holdFor(settings.reconnectAfter()))
                .exec(steps.dropAndResume(settings.offline()))
                .exec(steps.holdUntilLoadEnds())
                .exec(steps.settleAndJudge())
                .exec(steps.pingAndClose());
        setUp(users.injectOpen(rampUsers(settings.users()).during(settings.ramp())), producer())
                .protocols(protocol())
                .assertions(failedAtMost(), p99(UserSteps.RESUMED), everyRecordReceived(), someUsersJudged())
                .maxDuration(settings.maxRunTime());
    }
}
