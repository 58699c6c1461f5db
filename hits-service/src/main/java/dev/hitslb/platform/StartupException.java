package dev.hitslb.platform;

/**
 * Start-up cannot go on, for a reason the operator can fix: the message is one line that names the
 * variable or the cause, printed without a stack trace, and the process exits with {@link #exitCode}.
 */
public class StartupException extends RuntimeException {
    /** The environment holds a value the service cannot use: an invalid variable, refused credentials. */
    public static final int BAD_CONFIGURATION = 2;
    /** Something the service needs is not there: the port is taken, PostgreSQL never answered. */
    public static final int UNAVAILABLE = 1;

    private final int exitCode;

    public StartupException(int exitCode, String message) {
        super(message.replaceAll("\\s*\\R\\s*", " "), null, false, false);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
