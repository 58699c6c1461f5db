package dev.hitslb.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

/**
 * Everything the launcher, the suites and the benchmark know about the service they run, read from
 * {@value #RESOURCE} in the service's jar: a copied service changes that file, not this module.
 *
 * @param name       replicas are {@code name-1..name-N} and {@code name-backup}
 * @param readyPath  answers 200 once a replica can serve
 * @param probePath  a GET through nginx that changes nothing, 200 once the stack serves
 * @param database   the PostgreSQL database; its owner and password carry the same name (local development)
 * @param totalQuery one number, one more per counted request
 */
public record ServiceSpec(String name, String readyPath, String probePath, String database, String totalQuery) {
    public static final String RESOURCE = "META-INF/lb-service.properties";

    public ServiceSpec {
        require("name", name, "[a-z][a-z0-9]*");
        require("ready-path", readyPath, "/\\S*");
        require("probe-path", probePath, "/\\S*");
        require("database", database, "[a-z_][a-z0-9_]*");
        require("total-query", totalQuery, "(?is)\\s*select\\s.+");
    }

    /** The spec inside {@code jar}; a missing file or key says which, and where. */
    public static ServiceSpec of(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    "the service jar " + jar + " is missing: build it with ./mvnw package -DskipTests");
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            ZipEntry entry = file.getEntry(RESOURCE);
            if (entry == null) {
                throw new IllegalStateException(jar + " has no " + RESOURCE
                        + ": the launcher reads the service's name, paths and database from it (see hits-service's)");
            }
            Properties p = new Properties();
            try (InputStream in = file.getInputStream(entry)) {
                p.load(in);
            }
            return fromProperties(p, jar + "!/" + RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + RESOURCE + " in " + jar, e);
        }
    }

    static ServiceSpec fromProperties(Properties p, String where) {
        try {
            return new ServiceSpec(
                    p.getProperty("name"),
                    p.getProperty("ready-path"),
                    p.getProperty("probe-path"),
                    p.getProperty("database"),
                    p.getProperty("total-query"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    /** The same keys {@link #of} reads, for saving beside a stack. */
    Map<String, String> toProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("ready-path", readyPath);
        p.put("probe-path", probePath);
        p.put("database", database);
        p.put("total-query", totalQuery);
        return p;
    }

    /** The jdbc URL of this service's database on a local PostgreSQL. */
    public String jdbcUrl(int postgresPort) {
        return "jdbc:postgresql://127.0.0.1:" + postgresPort + "/" + database;
    }

    private static void require(String key, String value, String pattern) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("'" + key + "' is missing");
        }
        if (!value.matches(pattern)) {
            throw new IllegalArgumentException("'" + key + "' is '" + value + "', expected " + pattern);
        }
    }
}
