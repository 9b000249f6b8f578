package io.fanwire.loadtest;

import io.gatling.commons.stats.KO$;
import io.gatling.commons.stats.OK$;
import io.gatling.core.action.Action;
import io.gatling.core.stats.StatsEngine;
import io.gatling.core.structure.ScenarioContext;
import io.gatling.javaapi.core.ActionBuilder;
import io.gatling.javaapi.core.Session;
import scala.Option;
import scala.collection.immutable.List$;

/**
 * Puts timings that Gatling cannot measure by itself into its report, as requests with their own name:
 * a record's delivery (its producer's send time to the moment a user received it), the producer's
 * acknowledgements, and each user's "every record received" verdict. They then get percentiles, charts and
 * assertions like any request.
 *
 * <p>How: Gatling hands its {@link StatsEngine} to every action builder when it builds the scenarios. This
 * builder adds no action; it keeps the engine, and the simulation's session functions and the producer's
 * callback log through it. Every scenario that logs must {@code exec(stats.capture())} first.
 *
 * <p>Threads: {@link #log} from any thread (Gatling's own actions call the engine from every event loop);
 * the engine is captured on Gatling's start thread before any user runs.
 */
public final class GatlingStats implements io.gatling.core.action.builder.ActionBuilder {

    private volatile StatsEngine engine;

    /** Exec this at the start of each scenario. */
    public ActionBuilder capture() {
        return () -> this;
    }

    @Override
    public Action build(ScenarioContext ctx, Action next) {
        engine = ctx.coreComponents().statsEngine();
        return next;
    }

    /** Logs one request of {@code session}'s scenario and groups. */
    public void log(Session session, String request, long startMillis, long endMillis, String errorOrNull) {
        engine().logResponse(session.scenario(), session.asScala().groups(), request, startMillis, endMillis,
                errorOrNull == null ? OK$.MODULE$ : KO$.MODULE$, Option.empty(), Option.apply(errorOrNull));
    }

    /** Logs one request outside any user (the producer's), under {@code scenario}. */
    public void log(String scenario, String request, long startMillis, long endMillis, String errorOrNull) {
        engine().logResponse(scenario, List$.MODULE$.empty(), request, startMillis, endMillis,
                errorOrNull == null ? OK$.MODULE$ : KO$.MODULE$, Option.empty(), Option.apply(errorOrNull));
    }

    private StatsEngine engine() {
        StatsEngine e = engine;
        if (e == null) {
            throw new IllegalStateException("no scenario executed GatlingStats.capture() before logging");
        }
        return e;
    }
}
