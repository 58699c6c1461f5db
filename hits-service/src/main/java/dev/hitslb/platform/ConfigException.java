package dev.hitslb.platform;

/** An environment variable holds a value the service cannot use; the message names it. */
public final class ConfigException extends RuntimeException {
    ConfigException(String variable, String value, String expected) {
        super("invalid " + variable + "='" + value + "': expected " + expected);
    }
}
