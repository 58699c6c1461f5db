package dev.hitslb.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppConfigTest {
    @Test
    void defaults_fit_local_development() {
        AppConfig config = AppConfig.from(Map.of("INSTANCE_ID", "app-1"));
        assertThat(config.httpPort()).isEqualTo(8080);
        assertThat(config.bindAddress()).isEqualTo("0.0.0.0");
        assertThat(config.instanceId()).isEqualTo("app-1");
        // The database, its owner and password: the service spec's (META-INF/lb-service.properties), which a
        // copied service changes; platform/ names no service.
        String database = ServiceSpec.load().database();
        assertThat(config.dbUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/" + database);
        assertThat(config.dbUser()).isEqualTo(database);
        assertThat(config.dbPassword()).isEqualTo(database);
        assertThat(config.redis()).isEqualTo(new RedisUrl("127.0.0.1", 6379, null, null, 0));
        assertThat(config.dbTimeout()).isEqualTo(Duration.ofMillis(900));
        assertThat(config.dbStartupTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void the_database_s_defaults_come_from_the_service_spec() {
        Properties shop = new Properties();
        shop.setProperty("database", "shop");
        AppConfig config = AppConfig.from(Map.of(), ServiceSpec.of(shop));
        assertThat(config.dbUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/shop");
        assertThat(config.dbUser()).isEqualTo("shop");
        assertThat(config.dbPassword()).isEqualTo("shop");
        assertThatThrownBy(() -> AppConfig.from(Map.of(), ServiceSpec.of(new Properties())))
                .hasMessage("META-INF/lb-service.properties has no database");
    }

    @Test
    void instance_id_defaults_to_the_host_name() {
        assertThat(AppConfig.from(Map.of()).instanceId()).isNotBlank();
    }

    @Test
    void a_bad_value_names_the_variable_and_what_it_expects() {
        assertThatThrownBy(() -> AppConfig.from(Map.of("HTTP_PORT", "eighty")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid HTTP_PORT='eighty': expected a whole number from 1 to 65535");
        assertThatThrownBy(() -> AppConfig.from(Map.of("HTTP_PORT", "70000"))).hasMessageContaining("HTTP_PORT");
        assertThatThrownBy(() -> AppConfig.from(Map.of("DB_POOL_SIZE", "1"))).hasMessageContaining("DB_POOL_SIZE");
        // Four replicas at 40 took every connection PostgreSQL had: 20 is the most one replica may hold.
        assertThat(AppConfig.from(Map.of("DB_POOL_SIZE", "20")).dbPoolSize()).isEqualTo(20);
        assertThatThrownBy(() -> AppConfig.from(Map.of("DB_POOL_SIZE", "21")))
                .hasMessage("invalid DB_POOL_SIZE='21': expected a whole number from 2 to 20, the most one replica"
                        + " may hold (docs/configuration.md#connection-budget)");
        for (String notAnAddress : new String[] {"localhost", "256.0.0.1", "1.2.3", "fe80::zz"}) {
            assertThatThrownBy(() -> AppConfig.from(Map.of("BIND_ADDRESS", notAnAddress)))
                    .hasMessage("invalid BIND_ADDRESS='" + notAnAddress + "': expected an IP address such as 127.0.0.1"
                            + " (this machine only) or 0.0.0.0 (every interface)");
        }
        assertThatThrownBy(() -> AppConfig.from(Map.of("DB_URL", "postgres://x/y")))
                .hasMessageContaining("DB_URL");
        assertThatThrownBy(() -> AppConfig.from(Map.of("DB_STARTUP_TIMEOUT_SECONDS", "-1")))
                .hasMessage("invalid DB_STARTUP_TIMEOUT_SECONDS='-1': expected a whole number from 0 to 3600");
        assertThatThrownBy(() -> AppConfig.from(Map.of("REDIS_URL", "localhost:6379")))
                .hasMessageContaining("REDIS_URL");
        assertThatThrownBy(() -> AppConfig.from(Map.of("DB_PASSWORD_FILE", "/nonexistent/secret")))
                .hasMessageContaining("DB_PASSWORD_FILE");
    }

    @Test
    void a_config_error_never_echoes_a_password() {
        assertThatThrownBy(() -> AppConfig.from(Map.of("DB_URL", "postgresql://app:s3cret@db:5432/shop")))
                .hasMessage(
                        "invalid DB_URL='postgresql://app:***@db:5432/shop': expected a PostgreSQL JDBC URL"
                                + " such as jdbc:postgresql://host:5432/DATABASE (the login goes in DB_USER and DB_PASSWORD, not in the URL)");
        // What the driver cannot parse is refused here, at once, with the password masked.
        assertThatThrownBy(() -> AppConfig.from(Map.of("DB_URL", "jdbc:postgresql://u:hunter2@nowhere/x")))
                .hasMessageStartingWith("invalid DB_URL='jdbc:postgresql://u:***@nowhere/x': expected");
        assertThatThrownBy(() ->
                        AppConfig.from(Map.of("DB_URL", "jdbc:postgresql://127.0.0.1:notaport/shop?password=hunter2")))
                .hasMessageStartingWith(
                        "invalid DB_URL='jdbc:postgresql://127.0.0.1:notaport/shop?password=***': expected");
        assertThatThrownBy(() -> AppConfig.from(Map.of("DB_URL", "jdbc:postgresql:///shop")))
                .hasMessageContaining("DB_URL");
        assertThat(AppConfig.from(Map.of("DB_URL", "jdbc:postgresql://db:5432/shop?sslmode=disable&password=s3cret"))
                        .dbUrl())
                .as("a password parameter is the driver's own: accepted, masked wherever printed")
                .isEqualTo("jdbc:postgresql://db:5432/shop?sslmode=disable&password=s3cret");
        assertThatThrownBy(
                        () -> AppConfig.from(Map.of("DB_URL", "postgres://db/shop?user=app&password=s3cret&ssl=true")))
                .hasMessageContaining("invalid DB_URL='postgres://db/shop?user=app&password=***&ssl=true'");
        for (String url : new String[] {
            "redis://:s3cret@cache:notaport",
            "redis//app:s3cret@cache",
            "http://app:s3cret@cache",
            "redis://app:s3cr@t@cache:6379/x",
            "redis://cache:6379/0?password=s3cret",
            "redis://app:s3cr//et@cache:x"
        }) {
            assertThatThrownBy(() -> AppConfig.from(Map.of("REDIS_URL", url)))
                    .hasMessageStartingWith("invalid REDIS_URL=")
                    .hasMessageNotContaining("s3cr");
        }
    }

    @Test
    void the_redis_url_gives_the_user_the_password_and_the_database() {
        RedisUrl redis = AppConfig.from(Map.of("REDIS_URL", "redis://app:p%40ss@cache:6380/3"))
                .redis();
        assertThat(redis).isEqualTo(new RedisUrl("cache", 6380, "app", "p@ss", 3));
        assertThat(redis.toString()).isEqualTo("redis://app:***@cache:6380/3");
        assertThat(AppConfig.from(Map.of("REDIS_URL", "redis://:p%3Aw+d@cache/"))
                        .redis())
                .isEqualTo(new RedisUrl("cache", 6379, null, "p:w+d", 0));
    }

    @Test
    void a_redis_url_part_the_service_would_ignore_is_refused() {
        assertThatThrownBy(() -> AppConfig.from(Map.of("REDIS_URL", "redis://cache/one")))
                .hasMessage("invalid REDIS_URL='redis://cache/one': expected a database number after the port,"
                        + " such as redis://host:6379/0");
        assertThatThrownBy(() -> AppConfig.from(Map.of("REDIS_URL", "redis://cache?timeout=5")))
                .hasMessageContaining("?options");
        assertThatThrownBy(() -> AppConfig.from(Map.of("REDIS_URL", "rediss://cache:6380")))
                .hasMessageContaining("TLS");
        assertThatThrownBy(() -> AppConfig.from(Map.of("REDIS_URL", "redis://secret@cache")))
                .hasMessage(
                        "invalid REDIS_URL='redis://***@cache': expected user:password@ or :password@ before the host");
    }

    @Test
    void the_bind_address_takes_ipv4_and_ipv6_literals() {
        for (String address : new String[] {"127.0.0.1", "0.0.0.0", "::", "::1", "10.1.2.3"}) {
            assertThat(AppConfig.from(Map.of("BIND_ADDRESS", address)).bindAddress())
                    .isEqualTo(address);
        }
    }

    @Test
    void the_password_may_come_from_a_secret_file(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("db-password"), "s3cret\n");
        assertThat(AppConfig.from(Map.of("DB_PASSWORD_FILE", secret.toString())).dbPassword())
                .isEqualTo("s3cret");
    }

    @Test
    void the_redis_password_may_come_from_a_secret_file(@TempDir Path dir) throws Exception {
        Path secret = Files.writeString(dir.resolve("redis-password"), "r3dis\n");
        assertThat(AppConfig.from(Map.of("REDIS_URL", "redis://cache:6379", "REDIS_PASSWORD_FILE", secret.toString()))
                        .redis())
                .isEqualTo(new RedisUrl("cache", 6379, null, "r3dis", 0));
        assertThat(AppConfig.from(Map.of(
                                "REDIS_URL", "redis://app:old@cache/2", "REDIS_PASSWORD_FILE", secret.toString()))
                        .redis())
                .as("the file wins over a password in the URL, as DB_PASSWORD_FILE over DB_PASSWORD")
                .isEqualTo(new RedisUrl("cache", 6379, "app", "r3dis", 2));
    }

    @Test
    void a_secret_file_that_is_missing_or_empty_names_its_variable(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> AppConfig.from(Map.of("REDIS_PASSWORD_FILE", "/nonexistent/secret")))
                .isInstanceOf(ConfigException.class)
                .hasMessage(
                        "invalid REDIS_PASSWORD_FILE='/nonexistent/secret': expected a readable file holding the secret");
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        for (String variable : new String[] {"REDIS_PASSWORD_FILE", "DB_PASSWORD_FILE"}) {
            assertThatThrownBy(() -> AppConfig.from(Map.of(variable, empty.toString())))
                    .hasMessage("invalid " + variable + "='" + empty
                            + "': expected a file holding the secret; this one is empty");
        }
    }
}
