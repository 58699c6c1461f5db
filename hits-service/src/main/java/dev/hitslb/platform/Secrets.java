package dev.hitslb.platform;

import java.util.regex.Pattern;

/** Keeps passwords out of messages: a value echoed in an error or a log line goes through here first. */
public final class Secrets {
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)(password=)[^&;]*");

    private Secrets() {}

    /**
     * {@code value} with the password of a URL masked, valid or not: the part after the user name in
     * {@code user:password@} (all of it when there is no colon, as {@code redis://secret@host} means a
     * password too) and every {@code password=} (or {@code sslpassword=}) parameter.
     */
    public static String maskUrl(String value) {
        String masked = value;
        int at = masked.lastIndexOf('@');
        if (at >= 0) {
            int slashes = masked.indexOf("//"); // the first: a password may hold "//" too
            int start = slashes >= 0 && slashes < at ? slashes + 2 : masked.indexOf(':') + 1;
            String userInfo = masked.substring(start, at);
            int colon = userInfo.indexOf(':');
            String kept = colon >= 0 ? userInfo.substring(0, colon + 1) : "";
            masked = masked.substring(0, start) + kept + "***" + masked.substring(at);
        }
        return PASSWORD_PARAMETER.matcher(masked).replaceAll("$1***");
    }

    /**
     * A library's message made safe to print: each configured secret in it (a password, a URL that may
     * carry one) replaced by its masked form. Libraries quote what they were given, e.g. the
     * PostgreSQL driver a URL it cannot parse.
     */
    public static String scrub(String message, AppConfig config) {
        if (message == null) {
            return "";
        }
        String safe = message.replace(config.dbUrl(), maskUrl(config.dbUrl()));
        for (String secret : new String[] {config.dbPassword(), config.redis().password()}) {
            if (secret != null && !secret.isEmpty()) {
                safe = safe.replace(secret, "***");
            }
        }
        return maskUrl(safe);
    }
}
