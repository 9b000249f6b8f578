package io.fanwire.gateway.config;

/** A configuration value is missing, unknown or out of range. The message names the key and says why. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
