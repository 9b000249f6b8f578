package io.fanwire.benchmarks.e2e;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@link Target} starts a server, beyond the topic and I/O threads: the JVM that runs Fanwire and the options
 * added after {@code deploy/jvm.options} ({@code --fanwire-java}, {@code --fanwire-jvm-opts}), and what a
 * scenario adds — gateway flags, and environment variables for whichever server it starts. Immutable; any
 * thread.
 *
 * @param fanwireJava       the {@code java} executable that runs Fanwire
 * @param fanwireJvmOptions JVM options after {@code deploy/jvm.options}
 * @param fanwireArgs       gateway flags after the runner's own
 * @param env               environment variables of the server process (Fanwire or peer)
 */
record TargetSettings(String fanwireJava, List<String> fanwireJvmOptions, List<String> fanwireArgs,
                      Map<String, String> env) {

    TargetSettings {
        fanwireJvmOptions = List.copyOf(fanwireJvmOptions);
        fanwireArgs = List.copyOf(fanwireArgs);
        env = Map.copyOf(env);
    }

    /** {@code options}, split at whitespace, as {@code --fanwire-jvm-opts} gives them. */
    static TargetSettings of(String fanwireJava, String options) {
        List<String> split = options.isBlank() ? List.of() : List.of(options.trim().split("\\s+"));
        return new TargetSettings(fanwireJava, split, List.of(), Map.of());
    }

    TargetSettings withFanwireArgs(String... args) {
        List<String> all = new ArrayList<>(fanwireArgs);
        all.addAll(List.of(args));
        return new TargetSettings(fanwireJava, fanwireJvmOptions, all, env);
    }

    TargetSettings withEnv(String name, String value) {
        Map<String, String> all = new HashMap<>(env);
        all.put(name, value);
        return new TargetSettings(fanwireJava, fanwireJvmOptions, fanwireArgs, all);
    }
}
