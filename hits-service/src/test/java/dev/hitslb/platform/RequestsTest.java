package dev.hitslb.platform;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestsTest {
    @Test
    void json_only_when_the_client_prefers_it() {
        assertThat(Requests.wantsJson("application/json")).isTrue();
        assertThat(Requests.wantsJson("application/json, text/plain, */*")).isTrue();
        assertThat(Requests.wantsJson("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"))
                .isFalse();
        assertThat(Requests.wantsJson("text/html;q=0.5, application/json")).isTrue();
        assertThat(Requests.wantsJson("*/*")).isFalse();
        assertThat(Requests.wantsJson(null)).isFalse();
    }
}
