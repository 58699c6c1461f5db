package dev.hitslb.platform;

/**
 * Where Redis is and how to log in: REDIS_URL {@code redis://[[user]:password@]host[:port][/database]}.
 * {@link #toString} never shows the password.
 */
public record RedisUrl(String host, int port, String user, String password, int database) {
    @Override
    public String toString() {
        String login = password == null ? "" : (user == null ? "" : user) + ":***@";
        return "redis://" + login + host + ":" + port + "/" + database;
    }
}
