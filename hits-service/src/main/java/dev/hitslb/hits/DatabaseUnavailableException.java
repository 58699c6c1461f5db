package dev.hitslb.hits;

/** PostgreSQL did not answer in time or refused: the client gets a 503 and nothing was counted. */
final class DatabaseUnavailableException extends RuntimeException {
    DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    DatabaseUnavailableException(String message) {
        super(message);
    }
}
