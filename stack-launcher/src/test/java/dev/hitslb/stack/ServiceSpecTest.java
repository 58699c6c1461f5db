package dev.hitslb.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceSpecTest {
    private static final String ORDERS = """
            name=orders
            ready-path=/health/ready
            probe-path=/api/orders
            database=orders
            total-query=SELECT orders FROM order_counter WHERE id = 1
            """;

    @TempDir
    Path dir;

    @Test
    void the_spec_comes_from_the_service_jar() throws IOException {
        ServiceSpec spec = ServiceSpec.of(jar("orders-service.jar", ORDERS));

        assertThat(spec)
                .isEqualTo(new ServiceSpec(
                        "orders",
                        "/health/ready",
                        "/api/orders",
                        "orders",
                        "SELECT orders FROM order_counter WHERE id = 1"));
    }

    @Test
    void a_jar_without_a_spec_says_which_file_it_needs() throws IOException {
        Path jar = dir.resolve("plain.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new ZipEntry("README"));
        }

        assertThatThrownBy(() -> ServiceSpec.of(jar))
                .hasMessageContaining("plain.jar has no META-INF/lb-service.properties");
        assertThatThrownBy(() -> ServiceSpec.of(dir.resolve("missing.jar")))
                .hasMessageContaining("is missing: build it");
    }

    @Test
    void a_missing_or_bad_key_is_named_with_the_file() throws IOException {
        Path noQuery = jar("a.jar", ORDERS.replace("total-query=SELECT orders FROM order_counter WHERE id = 1\n", ""));
        Path badName = jar("b.jar", ORDERS.replace("name=orders", "name=Orders Service"));

        assertThatThrownBy(() -> ServiceSpec.of(noQuery))
                .hasMessageContaining("a.jar!/META-INF/lb-service.properties")
                .hasMessageContaining("'total-query' is missing");
        assertThatThrownBy(() -> ServiceSpec.of(badName)).hasMessageContaining("'name' is 'Orders Service'");
    }

    private Path jar(String name, String spec) throws IOException {
        Path jar = dir.resolve(name);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new ZipEntry(ServiceSpec.RESOURCE));
            out.write(spec.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return jar;
    }
}
