package dev.hitslb.lb;

/** A config nginx would refuse; the message says why and what to do instead. */
public final class UnsupportedConfigException extends IllegalArgumentException {
    public UnsupportedConfigException(String message) {
        super(message);
    }
}
