package dev.hitslb.hits;

/**
 * The answer to one page load: the total right after it was counted, or, for a retry of a request
 * counted before ({@code counted == false}), the total when the retry was seen.
 */
record Hit(long total, boolean counted) {
}
