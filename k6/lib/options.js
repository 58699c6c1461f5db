// What the k6 scripts read from their environment, and the thresholds they derive from it. Pure logic:
// it imports nothing from k6, so the scripts (passing k6's __ENV) and the Node tests (test/*.test.js)
// run the same code. Every bad value stops the run with an error naming the variable.

/** @typedef {Record<string, string | undefined>} Env */

/** The instances that must get traffic, e.g. INSTANCES=hits-1,hits-2,hits-3 (the default). */
export function expectedInstances(/** @type {Env} */ env) {
  const list = (env.INSTANCES || 'hits-1,hits-2,hits-3').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) {
    throw new Error('INSTANCES must name at least one instance, e.g. INSTANCES=hits-1,hits-2,hits-3');
  }
  return list;
}

/** A positive whole number from the environment, or a clear error naming the variable. */
export function intEnv(/** @type {Env} */ env, /** @type {string} */ name, /** @type {number} */ fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a whole number >= 1, got '${raw}'`);
  }
  return value;
}

/** How far below its expected share an instance may fall: TOLERANCE, from 0 to below 1 (0.2). */
export function toleranceEnv(/** @type {Env} */ env) {
  const raw = env.TOLERANCE;
  const value = raw === undefined || raw === '' ? 0.2 : Number(raw);
  if (!(value >= 0 && value < 1)) {
    throw new Error(`TOLERANCE must be a number from 0 to below 1, got '${raw}'`);
  }
  return value;
}

/** Each instance's weight from WEIGHTS (e.g. 3,1,1 for ./stack up --algorithm weighted), 1 each by default. */
export function weightsEnv(/** @type {Env} */ env, /** @type {string[]} */ instances) {
  if (env.WEIGHTS === undefined || env.WEIGHTS === '') {
    return instances.map(() => 1);
  }
  const weights = env.WEIGHTS.split(',').map((w) => (w.trim() === '' ? NaN : Number(w)));
  if (weights.length !== instances.length || weights.some((w) => !(w > 0))) {
    throw new Error(`WEIGHTS must give one positive number per instance (${instances.join(',')}), got '${env.WEIGHTS}'`);
  }
  return weights;
}

/**
 * Each instance's expected share of `iterations` page loads and the fewest it may get:
 * [{instance, share, minimum}], share a fraction of 1, minimum = floor(iterations x share x (1 - tolerance)).
 */
export function expectedShares(
  /** @type {string[]} */ instances, /** @type {number[]} */ weights, /** @type {number} */ tolerance,
  /** @type {number} */ iterations) {
  const sum = weights.reduce((a, b) => a + b, 0);
  return instances.map((instance, i) => {
    const share = weights[i] / sum;
    return { instance, share, minimum: Math.floor(iterations * share * (1 - tolerance)) };
  });
}

/**
 * Thresholds that fail the run when any expected instance got fewer than `minimum[instance]` page
 * loads. k6 only keeps a tagged sub-metric that a threshold names, and an instance that got nothing
 * has no sample at all: so every expected instance gets its own threshold, and a dead one fails.
 * A minimum of 0 only keeps the count for the report (affinity, failover).
 */
export function perInstanceThresholds(/** @type {Record<string, number>} */ minimum) {
  /** @type {Record<string, string[]>} */
  const thresholds = {};
  for (const [instance, min] of Object.entries(minimum)) {
    thresholds[`lb_hits{instance:${instance}}`] = [`count>=${min}`];
  }
  return thresholds;
}

/** Thresholds that only keep each instance's count for the report (affinity, failover). */
export function countsFor(/** @type {string[]} */ instances) {
  return perInstanceThresholds(Object.fromEntries(instances.map((instance) => [instance, 0])));
}

/**
 * Latency limits every script enforces beside its own: p95 and p99 of every request, in ms
 * (P95_MS, P99_MS). Generous by default (a cold replica, a busy laptop): a replica that hangs until
 * nginx's proxy_read_timeout (2 s) or a balancer that keeps retrying breaks them.
 */
export function latencyThresholds(/** @type {Env} */ env) {
  return { http_req_duration: [`p(95)<${intEnv(env, 'P95_MS', 1000)}`, `p(99)<${intEnv(env, 'P99_MS', 2000)}`] };
}

/** The algorithms with affinity, and what affinity.js makes each client's key. */
export const AFFINITY_KEYS = Object.freeze({ hash: 'header', sticky: 'cookie', ip_hash: 'address' });

/** ALGORITHM for affinity.js: one of AFFINITY_KEYS (hash by default). */
export function affinityAlgorithm(/** @type {Env} */ env) {
  const algorithm = env.ALGORITHM || 'hash';
  if (!Object.prototype.hasOwnProperty.call(AFFINITY_KEYS, algorithm)) {
    throw new Error(`ALGORITHM must be one of ${Object.keys(AFFINITY_KEYS).join(', ')} (the algorithms with affinity), got '${algorithm}'`);
  }
  return /** @type {keyof typeof AFFINITY_KEYS} */ (algorithm);
}
