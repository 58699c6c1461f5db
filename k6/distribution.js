/*
 * distribution.js: every expected replica gets its share of the traffic.
 *
 * ITERATIONS page loads (GET /, shared by VUS virtual users) go through the load balancer; each
 * answer names its replica (X-Instance-Id). Every instance in INSTANCES has a threshold: at least
 * its expected share (WEIGHTS, equal by default) minus TOLERANCE. So a dead, hung or starved
 * replica fails the run, by name, and so does any failed request.
 *
 *   k6 run k6/distribution.js                                   # round_robin, least_conn, random
 *   k6 run -e WEIGHTS=3,1,1 k6/distribution.js                  # ./stack up --algorithm weighted
 *   env: BASE_URL (http://localhost:8080), INSTANCES (hits-1,hits-2,hits-3), WEIGHTS (1 each),
 *        ITERATIONS (3000), VUS (8), TOLERANCE (0.2: a share may be 20 % below its expected value)
 */
import { check } from 'k6';
import { currentTotal, expectedInstances, intEnv, latencyThresholds, pageLoad, perInstanceThresholds, report } from './lib/hits.js';

const instances = expectedInstances();
const iterations = intEnv('ITERATIONS', 3000);
const tolerance = Number(__ENV.TOLERANCE || 0.2);
if (!(tolerance >= 0 && tolerance < 1)) {
  throw new Error(`TOLERANCE must be a number from 0 to below 1, got '${__ENV.TOLERANCE}'`);
}
const weights = (__ENV.WEIGHTS || instances.map(() => '1').join(',')).split(',').map(Number);
if (weights.length !== instances.length || weights.some((w) => !(w > 0))) {
  throw new Error(`WEIGHTS must give one positive number per instance (${instances.join(',')}), got '${__ENV.WEIGHTS}'`);
}
const weightSum = weights.reduce((a, b) => a + b, 0);
const minimum = Object.fromEntries(instances.map((instance, i) =>
  [instance, Math.floor((iterations * weights[i] / weightSum) * (1 - tolerance))]));

export const options = {
  scenarios: {
    distribution: { executor: 'shared-iterations', vus: intEnv('VUS', 8), iterations, maxDuration: '5m' },
  },
  thresholds: Object.assign({
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
  }, perInstanceThresholds(minimum), latencyThresholds()),
};

// Fails fast, before any load, when the target is down.
export function setup() {
  currentTotal();
}

export default function () {
  const { status, instance } = pageLoad();
  check(status, { 'GET / answered 200': (s) => s === 200 });
  check(instance, { 'answer names its instance': (i) => i !== null });
}

export function handleSummary(data) {
  const notes = [`expected shares: ${instances.map((i, n) => `${i} ${(100 * weights[n] / weightSum).toFixed(1)} %`).join(', ')}, `
    + `each at least ${(100 * (1 - tolerance)).toFixed(0)} % of its share`];
  const starved = Object.entries(data.metrics)
    .some(([name, m]) => name.startsWith('lb_hits{') && Object.values(m.thresholds || {}).some((t) => !t.ok));
  if (starved && !__ENV.WEIGHTS) {
    notes.push('hint: nginx running weighted (3:1:1)? Then expect those shares: k6 run -e WEIGHTS=3,1,1 k6/distribution.js');
  }
  return report('distribution', data, instances, notes);
}
