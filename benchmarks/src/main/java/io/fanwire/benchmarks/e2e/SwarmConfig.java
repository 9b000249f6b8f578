package io.fanwire.benchmarks.e2e;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How every client of a swarm talks to the server, the same in the runner (which renders it as
 * {@link SwarmMain} flags) and in each swarm process (which parses them back). Immutable; any thread.
 *
 * @param json        {@code fanwire.v1.json} instead of {@code fanwire.v1.proto}: text frames, JSON subscribes
 * @param jsonValues  record values are JSON quotes whose {@code sendNanos} field holds the send time
 *                    ({@link JsonQuotes}), rather than binary values starting with it
 * @param deflate     offer {@code permessage-deflate} (RFC 7692) with both no-context-takeover parameters, and
 *                    refuse to run unless the server accepts it with {@code server_no_context_takeover}
 * @param resume      per-partition positions every subscribe resumes from ({@code resume_from}); empty: live
 * @param timeline    also count frames and latency per second since the first connection opened
 */
record SwarmConfig(boolean json, boolean jsonValues, boolean deflate, List<Position> resume, boolean timeline) {

    /** The offset of the last record a client has seen in one partition (PROTOCOL.md §3.1, {@code Position}). */
    record Position(int partition, long offset) {
    }

    /** What the firehose, market and idle scenarios use: protobuf, binary values, live, no extension. */
    static final SwarmConfig PLAIN = new SwarmConfig(false, false, false, List.of(), false);

    SwarmConfig {
        resume = List.copyOf(resume);
        if (json && !jsonValues) {
            throw new IllegalArgumentException("fanwire.v1.json carries the send time only in JSON values");
        }
    }

    String subprotocol() {
        return json ? "fanwire.v1.json" : "fanwire.v1.proto";
    }

    SwarmConfig withResume(List<Position> positions) {
        return new SwarmConfig(json, jsonValues, deflate, positions, timeline);
    }

    /** {@code partition:offset,...}, as {@code --resume} and the swarm's {@code CONNECT} command carry them. */
    static String render(List<Position> positions) {
        return String.join(",", positions.stream().map(p -> p.partition() + ":" + p.offset()).toList());
    }

    /** What {@link #render} wrote; an empty string is no positions. */
    static List<Position> positions(String rendered) {
        return rendered.isBlank() ? List.of() : Arrays.stream(rendered.split(",")).map(p -> p.split(":"))
                .map(p -> new Position(Integer.parseInt(p[0]), Long.parseLong(p[1]))).toList();
    }

    /** {@link SwarmMain} flags for this configuration. */
    List<String> flags() {
        List<String> out = new ArrayList<>(List.of("--subprotocol", subprotocol(), "--values",
                jsonValues ? "json" : "binary", "--deflate", Boolean.toString(deflate), "--timeline",
                Boolean.toString(timeline)));
        if (!resume.isEmpty()) {
            out.add("--resume");
            out.add(render(resume));
        }
        return out;
    }

    /** The configuration {@link #flags} rendered; absent flags take {@link #PLAIN}'s values. */
    static SwarmConfig parse(Map<String, String> flags) {
        String subprotocol = flags.getOrDefault("subprotocol", "fanwire.v1.proto");
        if (!subprotocol.equals("fanwire.v1.proto") && !subprotocol.equals("fanwire.v1.json")) {
            throw new IllegalArgumentException("unknown subprotocol " + subprotocol);
        }
        List<Position> resume = positions(flags.getOrDefault("resume", ""));
        return new SwarmConfig(subprotocol.equals("fanwire.v1.json"),
                flags.getOrDefault("values", "binary").equals("json"),
                Boolean.parseBoolean(flags.getOrDefault("deflate", "false")), resume,
                Boolean.parseBoolean(flags.getOrDefault("timeline", "false")));
    }
}
