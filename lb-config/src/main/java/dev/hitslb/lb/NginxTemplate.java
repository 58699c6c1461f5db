package dev.hitslb.lb;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One nginx template from {@code lb-config/src/main/resources/nginx-templates/}: nginx text with named
 * placeholders such as {@code {{listen}}}. nginx itself never writes {@code {{} (a block opens with one
 * brace, variables are {@code $name} or {@code ${name}}), so a placeholder cannot be mistaken for
 * nginx, and one left in a file would make {@code nginx -t} fail rather than pass unnoticed.
 */
record NginxTemplate(String name, String text) {
    static final String FOLDER = "nginx-templates/";
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z_]+)}}");

    /** Loads {@code nginx-templates/<name>} from the classpath. */
    static NginxTemplate load(String name) {
        String path = FOLDER + name;
        try (InputStream in = NginxTemplate.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("nginx template " + path + " is not on the classpath");
            }
            return new NginxTemplate(path, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not read nginx template " + path, e);
        }
    }

    /** Shorthand for {@code load(name).fill(values)}. */
    static String render(String name, Map<String, String> values) {
        return load(name).fill(values);
    }

    /**
     * The template with every placeholder replaced by its value (inserted as is, never scanned for
     * placeholders itself).
     *
     * @throws IllegalStateException when a placeholder has no value, a value has no placeholder (a
     *                               misspelt name on either side), or a {@code {{} starts no valid placeholder
     */
    String fill(Map<String, String> values) {
        String outside = PLACEHOLDER.matcher(text).replaceAll("");
        int malformed = outside.indexOf("{{");
        if (malformed >= 0) {
            throw new IllegalStateException(name + ": malformed placeholder at '"
                    + outside.substring(malformed, Math.min(outside.length(), malformed + 30))
                            .lines()
                            .findFirst()
                            .orElse("")
                    + "' (expected {{lower_case_name}})");
        }
        Set<String> unfilled = new TreeSet<>();
        Set<String> used = new TreeSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        String filled = m.replaceAll(match -> {
            String key = match.group(1);
            String value = values.get(key);
            if (value == null) {
                unfilled.add("{{" + key + "}}");
                return Matcher.quoteReplacement(match.group());
            }
            used.add(key);
            return Matcher.quoteReplacement(value);
        });
        if (!unfilled.isEmpty()) {
            throw new IllegalStateException(name + ": no value for " + String.join(", ", unfilled) + " (values given: "
                    + String.join(", ", new TreeSet<>(values.keySet())) + ")");
        }
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(used);
        if (!unknown.isEmpty()) {
            throw new IllegalStateException(name + " has no placeholder {{" + String.join("}}, {{", unknown)
                    + "}} (placeholders it has: " + String.join(", ", placeholders()) + ")");
        }
        return filled;
    }

    /** The names of this template's placeholders, sorted. */
    Set<String> placeholders() {
        Set<String> names = new TreeSet<>();
        PLACEHOLDER.matcher(text).results().forEach(r -> names.add(r.group(1)));
        return names;
    }
}
