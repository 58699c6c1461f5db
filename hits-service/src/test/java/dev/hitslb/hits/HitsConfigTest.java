package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HitsConfigTest {
    @Test
    void defaults_refresh_the_cache_each_second_and_remember_request_ids_three_minutes() {
        HitsConfig config = HitsConfig.from(Map.of());
        assertThat(config.cacheRefresh()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.requestIdRetention()).isEqualTo(Duration.ofMinutes(3));
    }

    @Test
    void an_invalid_value_names_its_variable() {
        assertThatThrownBy(() -> HitsConfig.from(Map.of("CACHE_REFRESH_MS", "10")))
                .hasMessageContaining("CACHE_REFRESH_MS");
        assertThatThrownBy(() -> HitsConfig.from(Map.of("REQUEST_ID_RETENTION_SECONDS", "a minute")))
                .hasMessageContaining("REQUEST_ID_RETENTION_SECONDS");
        assertThat(HitsConfig.from(Map.of("REQUEST_ID_RETENTION_SECONDS", "60")).requestIdRetention())
                .isEqualTo(Duration.ofMinutes(1));
    }
}
