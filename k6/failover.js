/*
 * failover.js: a replica dies mid-load and comes back, and no page load fails, is lost or is
 * counted twice.
 *
 * VUS virtual users make ITERATIONS page loads at a steady pace (PACE_MS between each user's page
 * loads) while a driver kills a replica and starts it again: k6/failover.sh does it with ./stack or
 * with docker compose. Thresholds: no failed request, and the total (GET /api/hits before and
 * after) grew by exactly ITERATIONS: nginx's retries on another replica were not counted again, and
 * no answered page load went uncounted. Run it against a stack nobody else is loading.
 *
 *   k6/failover.sh stack        (or: k6/failover.sh compose)
 *   env: BASE_URL (http://localhost:8080), INSTANCES (hits-1,hits-2,hits-3), ITERATIONS (12000),
 *        VUS (8), PACE_MS (10)
 */
import { check, sleep } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import { currentTotal, pageLoad, report } from './lib/hits.js';
import { countsFor, expectedInstances, intEnv, latencyThresholds } from './lib/options.js';

const instances = expectedInstances(__ENV);
const iterations = intEnv(__ENV, 'ITERATIONS', 12000);
const pace = intEnv(__ENV, 'PACE_MS', 10) / 1000;
const exactlyOnce = new Rate('lb_exactly_once');
const growth = new Counter('lb_total_growth');

export const options = {
  scenarios: {
    failover: { executor: 'shared-iterations', vus: intEnv(__ENV, 'VUS', 8), iterations, maxDuration: '5m' },
  },
  thresholds: Object.assign({
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    lb_exactly_once: ['rate==1'],
  }, countsFor(instances), latencyThresholds(__ENV)),
};

export function setup() {
  return { totalBefore: currentTotal() };
}

export default function () {
  const { status } = pageLoad();
  check(status, { 'GET / answered 200': (s) => s === 200 });
  sleep(pace);
}

// After the load: every answered page load counted once, none twice.
export function teardown(data) {
  const grew = currentTotal() - data.totalBefore;
  growth.add(grew);
  exactlyOnce.add(grew === iterations);
}

export function handleSummary(data) {
  const grew = data.metrics.lb_total_growth ? data.metrics.lb_total_growth.values.count : 'unknown';
  return report('failover', data, instances, [
    `exactly once: ${iterations} page loads sent, the total grew by ${grew}`,
  ]);
}
