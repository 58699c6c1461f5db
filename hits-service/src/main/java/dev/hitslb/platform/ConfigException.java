package dev.hitslb.platform;

/** An environment variable holds a value the service cannot use; the message names it, never a password in it. */
public final class ConfigException extends StartupException {
    ConfigException(String variable, String value, String expected) {
        super(BAD_CONFIGURATION, "invalid " + variable + "='" + Secrets.maskUrl(value) + "': expected " + expected);
    }
}
