package dev.hitslb.hits;

/** An environment variable holds a value the service cannot use; the message names it. */
final class ConfigException extends RuntimeException {
    ConfigException(String variable, String value, String expected) {
        super("invalid " + variable + "='" + value + "': expected " + expected);
    }
}
