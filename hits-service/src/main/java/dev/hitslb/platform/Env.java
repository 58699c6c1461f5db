package dev.hitslb.platform;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.postgresql.Driver;

/**
 * Reads environment variables one at a time, so that each error names its variable: a value that is
 * not valid stops start-up with a {@link ConfigException}. Blank counts as unset.
 */
public record Env(Map<String, String> env) {
    private String raw(String name) {
        String value = env.get(name);
        return value == null || value.isBlank() ? null : value.strip();
    }

    public String text(String name, String fallback) {
        String value = raw(name);
        return value == null ? fallback : value;
    }

    public int integer(String name, int fallback, int min, int max) {
        return integer(name, fallback, min, max, "a whole number from " + min + " to " + max);
    }

    public int integer(String name, int fallback, int min, int max, String expected) {
        String value = raw(name);
        if (value == null) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the accepted range
        }
        throw new ConfigException(name, value, expected);
    }

    /** An IP address literal (no host name: binding must not wait for DNS), e.g. 127.0.0.1, 0.0.0.0, ::. */
    public String ipAddress(String name, String fallback) {
        String value = text(name, fallback);
        boolean ipv4 = value.matches("\\d{1,3}(\\.\\d{1,3}){3}")
                && Arrays.stream(value.split("\\.")).mapToInt(Integer::parseInt).allMatch(octet -> octet <= 255);
        try {
            // With a ':' the JDK parses an IPv6 literal and never asks DNS; it refuses a malformed one.
            if (ipv4 || (value.contains(":") && InetAddress.getByName(value) != null)) {
                return value;
            }
        } catch (UnknownHostException ignored) {
            // reported below
        }
        throw new ConfigException(
                name, value, "an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)");
    }

    /**
     * A URL the PostgreSQL driver itself parses (its own parser, so what passes here connects the
     * same way): refused at once, not retried for DB_STARTUP_TIMEOUT_SECONDS, and never handed to
     * the driver, whose messages would print it whole, password included.
     */
    public String jdbcUrl(String name, String fallback) {
        String value = text(name, fallback);
        String prefix = "jdbc:postgresql://";
        // A login in the authority is refused before the driver sees it: its parser logs what it cannot read.
        String authority =
                value.startsWith(prefix) ? value.substring(prefix.length()).split("[/?]", 2)[0] : "";
        if (authority.isEmpty() || authority.contains("@") || Driver.parseURL(value, null) == null) {
            throw new ConfigException(
                    name,
                    value,
                    "a PostgreSQL JDBC URL such as jdbc:postgresql://host:5432/DATABASE"
                            + " (the login goes in DB_USER and DB_PASSWORD, not in the URL)");
        }
        return value;
    }

    /**
     * {@code redis://[[user]:password@]host[:port][/database]}: the user, password (percent-encoded
     * where needed) and database number are used, not ignored; anything else (TLS, options) is refused.
     * The password in the file {@code passwordFile} names (compose and Kubernetes secrets) wins over the URL's.
     */
    public RedisUrl redisUrl(String name, String passwordFile, String fallback) {
        String value = text(name, fallback);
        String expected = "a Redis URL such as redis://host:6379 or redis://user:password@host:6379/0";
        URI uri;
        try {
            uri = new URI(value);
        } catch (java.net.URISyntaxException ex) {
            throw new ConfigException(name, value, expected);
        }
        if ("rediss".equals(uri.getScheme())) {
            throw new ConfigException(name, value, "redis:// (TLS, rediss://, is not supported)");
        }
        if (!"redis".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new ConfigException(name, value, expected);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new ConfigException(name, value, "no ?options or #fragment: " + expected);
        }
        String user = null;
        String password = null;
        String userInfo = uri.getRawUserInfo(); // split first, then decode: %3A is a ':' inside a password
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                throw new ConfigException(name, value, "user:password@ or :password@ before the host");
            }
            user = colon == 0 ? null : percentDecoded(userInfo.substring(0, colon));
            password = percentDecoded(userInfo.substring(colon + 1));
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        int database = 0;
        if (!path.isEmpty() && !"/".equals(path)) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException ex) {
                database = -1;
            }
            if (database < 0) {
                throw new ConfigException(name, value, "a database number after the port, such as redis://host:6379/0");
            }
        }
        String filed = secretFile(passwordFile);
        return new RedisUrl(
                uri.getHost(),
                uri.getPort() == -1 ? 6379 : uri.getPort(),
                user,
                filed == null ? password : filed,
                database);
    }

    private static String percentDecoded(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8); // '+' is a plus here, not a space
    }

    /** A secret from the variable itself, or from the file its _FILE twin names (compose secrets). */
    public String secret(String name, String fileName, String fallback) {
        String filed = secretFile(fileName);
        return filed == null ? text(name, fallback) : filed;
    }

    /** The secret in the file the variable names, without the spaces and line breaks around it; null when the variable is unset. */
    private String secretFile(String fileName) {
        String file = raw(fileName);
        if (file == null) {
            return null;
        }
        String secret;
        try {
            secret = Files.readString(Path.of(file)).strip();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(fileName, file, "a readable file holding the secret");
        }
        if (secret.isEmpty()) {
            throw new ConfigException(fileName, file, "a file holding the secret; this one is empty");
        }
        return secret;
    }
}
