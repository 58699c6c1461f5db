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
import { currentTotal, pageLoad, report } from './lib/hits.js';
import {
  expectedInstances, expectedShares, intEnv, latencyThresholds, perInstanceThresholds, toleranceEnv, weightsEnv,
} from './lib/options.js';
import { anyInstanceStarved } from './lib/report.js';

const instances = expectedInstances(__ENV);
const iterations = intEnv(__ENV, 'ITERATIONS', 3000);
const tolerance = toleranceEnv(__ENV);
const shares = expectedShares(instances, weightsEnv(__ENV, instances), tolerance, iterations);

export const options = {
  scenarios: {
    distribution: { executor: 'shared-iterations', vus: intEnv(__ENV, 'VUS', 8), iterations, maxDuration: '5m' },
  },
  thresholds: Object.assign({
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
  }, perInstanceThresholds(Object.fromEntries(shares.map((s) => [s.instance, s.minimum]))), latencyThresholds(__ENV)),
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
  const notes = [`expected shares: ${shares.map((s) => `${s.instance} ${(100 * s.share).toFixed(1)} %`).join(', ')}, `
    + `each at least ${(100 * (1 - tolerance)).toFixed(0)} % of its share`];
  if (anyInstanceStarved(data) && !__ENV.WEIGHTS) {
    notes.push('hint: nginx running weighted (3:1:1)? Then expect those shares: k6 run -e WEIGHTS=3,1,1 k6/distribution.js');
  }
  return report('distribution', data, instances, notes);
}
