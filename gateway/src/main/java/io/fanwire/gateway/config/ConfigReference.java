package io.fanwire.gateway.config;

/**
 * Renders the configuration reference ({@code docs/configuration.md}) and the {@code --help} text from
 * {@link ConfigKeys}, so that neither can drift from the code.
 */
public final class ConfigReference {

    private ConfigReference() {
    }

    /** The Markdown reference page. */
    public static String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("# Configuration reference\n\n")
                .append("<!-- Generated from ConfigKeys by ConfigReference; edit those, then run\n")
                .append("     java -cp gateway/target/fanwire.jar io.fanwire.gateway.config.ConfigReference > docs/configuration.md -->\n\n")
                .append("Every key can be set in a properties file (`--config FILE`), as an environment variable, or as a\n")
                .append("command-line flag; flags win over the environment, which wins over the file.\n\n")
                .append("Keys that start with `kafka.` are passed, prefix removed, to the Kafka clients: for example\n")
                .append("`kafka.bootstrap.servers` (flag `--kafka-bootstrap` or `--kafka.bootstrap.servers`, environment\n")
                .append("`FANWIRE_KAFKA_BOOTSTRAP_SERVERS`) or `kafka.security.protocol`.\n\n")
                .append("| key | flag | environment | default | range | meaning |\n")
                .append("|---|---|---|---|---|---|\n");
        for (ConfigKey key : ConfigKeys.ALL) {
            out.append("| `").append(key.name()).append("` | `").append(key.flag()).append("` | `")
                    .append(key.envName()).append("` | ")
                    .append(key.defaultValue() == null ? "(see meaning)" : "`" + key.defaultValue() + "`")
                    .append(" | ").append(key.rangeText()).append(" | ").append(key.doc()).append(" |\n");
        }
        return out.toString();
    }

    /** The text {@code --help} prints. */
    public static String help() {
        StringBuilder out = new StringBuilder();
        out.append("Usage: java -jar fanwire.jar [flags]\n\n")
                .append("Fanwire: a WebSocket gateway with Apache Kafka as its backbone.\n")
                .append("With no --kafka-bootstrap it runs in dev mode: an embedded Kafka broker on 127.0.0.1:9092,\n")
                .append("demo topics and a synthetic market-data feed.\n\n")
                .append("  --config FILE                    read keys from a properties file\n")
                .append("  --kafka-bootstrap HOST:PORT,...  Kafka brokers (same as --kafka.bootstrap.servers)\n")
                .append("  --kafka.PROPERTY VALUE           any Kafka client property\n");
        for (ConfigKey key : ConfigKeys.ALL) {
            String flag = key.flag() + (key.type() == ConfigKey.Type.BOOLEAN ? "[=true|false]" : " VALUE");
            out.append(String.format("  %-32s %s%n", flag, key.doc()
                    + (key.defaultValue() == null ? "" : " (default " + key.defaultValue() + ")")));
        }
        out.append("\nEvery key is also an environment variable: FANWIRE_ + key in upper case, dots as underscores.\n")
                .append("Reference: docs/configuration.md\n");
        return out.toString();
    }

    public static void main(String[] args) {
        System.out.print(markdown());
    }
}
