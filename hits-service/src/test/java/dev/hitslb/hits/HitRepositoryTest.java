package dev.hitslb.hits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class HitRepositoryTest {
    @Test
    void aRequestIdIsRememberedByTheFirstSixteenBytesOfItsSha256() {
        // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad (FIPS 180-2)
        assertThat(HitRepository.requestKey(HitRepository.sha256(), "abc"))
                .isEqualTo(UUID.fromString("ba7816bf-8f01-cfea-4141-40de5dae2223"));
    }
}
