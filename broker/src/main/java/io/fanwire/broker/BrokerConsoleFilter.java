package io.fanwire.broker;

import java.util.List;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Keeps from the console the warnings that Kafka 4.1 logs on every healthy start or stop of a
 * single node, so that a warning that does reach the console means something. They stay in
 * the broker's log file. Used by {@code fanwire-broker-logback.xml} in the broker's child JVM;
 * runs on whichever thread logs.
 */
public final class BrokerConsoleFilter extends Filter<ILoggingEvent> {

    /** Message prefixes, each with the reason it is harmless here. */
    private static final List<String> ROUTINE_WARNINGS = List.of(
            // every start of the controller, with "The metadata log appears to be empty" on the first
            "[QuorumController id=1] Performing controller activation.",
            // every clean shutdown of a combined broker and controller
            "[NodeToControllerChannelManager id=1 name=registration] Attempting to close NetworkClient"
                    + " that has already been closed.");

    @Override
    public FilterReply decide(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        for (String routine : ROUTINE_WARNINGS) {
            if (message.startsWith(routine)) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }
}
