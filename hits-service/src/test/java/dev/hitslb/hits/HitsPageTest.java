package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HitsPageTest {
    @Test
    void the_page_escapes_the_instance_id() {
        assertThat(new HitsPage("<b>x</b>").render(1234))
                .contains("&lt;b&gt;x&lt;/b&gt;")
                .doesNotContain("<b>x</b>")
                .contains("1,234");
    }

    @Test
    void the_page_shows_the_count_in_its_title_and_body() {
        String html = new HitsPage("hits-1").render(1234567);

        assertThat(html).contains("<title>1,234,567 hits · hits-1</title>").contains("<p class=\"hits\">1,234,567</p>");
    }
}
