package io.fanwire.gateway.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Gathers raw configuration values from, in rising order of precedence, a properties file
 * ({@code --config FILE}), environment variables ({@code FANWIRE_PORT}, {@code FANWIRE_KAFKA_BOOTSTRAP_SERVERS},
 * ...) and command-line flags ({@code --port 8080} or {@code --port=8080}), then builds the
 * {@link GatewayConfig}.
 *
 * <p>Flags: every catalog key as {@code --name-with-dashes}; Kafka client properties as
 * {@code --kafka.some.property}; and the short forms {@code --dev} (alone means true) and
 * {@code --kafka-bootstrap HOST:PORT,...}.
 */
public final class ConfigLoader {

    private static final String ENV_PREFIX = "FANWIRE_";
    private static final String ENV_KAFKA_PREFIX = ENV_PREFIX + "KAFKA_";

    /** The parsed command line: flags as raw key/values, the config file if named, and whether help was asked. */
    public record CommandLine(Map<String, String> values, Path configFile, boolean help) {
        public CommandLine {
            values = Map.copyOf(values);
        }
    }

    private ConfigLoader() {
    }

    /** Loads from the command line and the process environment. */
    public static GatewayConfig load(CommandLine commandLine, Map<String, String> env) {
        Map<String, String> raw = new LinkedHashMap<>();
        if (commandLine.configFile() != null) {
            raw.putAll(readFile(commandLine.configFile()));
        }
        raw.putAll(fromEnvironment(env));
        raw.putAll(commandLine.values());
        return GatewayConfig.from(raw);
    }

    /** Parses flags; throws {@link ConfigException} for a flag it does not know or one that lacks a value. */
    public static CommandLine parse(List<String> args) {
        Map<String, String> values = new LinkedHashMap<>();
        Path configFile = null;
        boolean help = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new ConfigException("unexpected argument '" + arg + "' (flags start with --; see --help)");
            }
            String flag = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                flag = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (flag.equals("--dev") && value == null
                    && (i + 1 >= args.size() || args.get(i + 1).startsWith("--"))) {
                values.put(ConfigKeys.DEV.name(), "true");
                continue;
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new ConfigException(flag + " needs a value");
                }
                value = args.get(++i);
            }
            if (flag.equals("--config")) {
                configFile = Path.of(value);
            } else {
                values.put(keyForFlag(flag), value);
            }
        }
        return new CommandLine(values, configFile, help);
    }

    private static String keyForFlag(String flag) {
        if (flag.equals("--kafka-bootstrap")) {
            return ConfigKeys.KAFKA_BOOTSTRAP;
        }
        if (flag.startsWith("--" + ConfigKeys.KAFKA_PREFIX)) {
            return flag.substring(2);
        }
        for (ConfigKey key : ConfigKeys.ALL) {
            if (key.flag().equals(flag)) {
                return key.name();
            }
        }
        throw new ConfigException("unknown flag " + flag + " (see --help)");
    }

    static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> values = new LinkedHashMap<>();
        for (ConfigKey key : ConfigKeys.ALL) {
            String value = env.get(key.envName());
            if (value != null) {
                values.put(key.name(), value);
            }
        }
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_KAFKA_PREFIX)) {
                String property = name.substring(ENV_KAFKA_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                values.put(ConfigKeys.KAFKA_PREFIX + property, value);
            }
        });
        return values;
    }

    private static Map<String, String> readFile(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            values.put(name, properties.getProperty(name));
        }
        return values;
    }
}
