package dev.hitslb.platform;

/** PostgreSQL did not answer in time or refused: the client gets a 503 and nothing was counted. */
public final class DatabaseUnavailableException extends RuntimeException {
    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public DatabaseUnavailableException(String message) {
        super(message);
    }
}
