package dev.hitslb.platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * This service's {@value #RESOURCE}, read from the classpath: the file ./stack, the load-balancing suites and the
 * benchmark read from the jar (stack-launcher's ServiceSpec). platform/ takes its defaults from it (the database,
 * its owner and password), so a service copied from this one changes that file and nothing under platform/.
 */
public final class ServiceSpec {
    public static final String RESOURCE = "META-INF/lb-service.properties";

    private final Properties properties;

    private ServiceSpec(Properties properties) {
        this.properties = properties;
    }

    /** The spec on the classpath; missing, or missing a key asked for: an IllegalStateException that says which. */
    public static ServiceSpec load() {
        try (InputStream in = ServiceSpec.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath (src/main/resources)");
            }
            Properties properties = new Properties();
            properties.load(in);
            return of(properties);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + RESOURCE, e);
        }
    }

    static ServiceSpec of(Properties properties) {
        return new ServiceSpec(properties);
    }

    /** The PostgreSQL database; its owner and password carry the same name (local development only). */
    public String database() {
        return get("database");
    }

    /** The value of {@code key}, such as {@code total-query}. */
    public String get(String key) {
        String value = properties.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(RESOURCE + " has no " + key);
        }
        return value.strip();
    }
}
