package io.fanwire.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is generated from the catalog; this fails when someone forgot to regenerate it. */
class ConfigReferenceTest {

    @Test
    void referencePageMatchesTheCatalog() throws Exception {
        Path page = Path.of("..", "docs", "configuration.md");
        assertEquals(ConfigReference.markdown(), Files.readString(page),
                "docs/configuration.md is stale: regenerate it as its header says");
    }
}
