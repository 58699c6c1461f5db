/*
 * affinity.js: under ip_hash, hash and sticky, each client keeps its replica.
 *
 * VUS virtual clients each make REQUESTS page loads. A client is what the algorithm keys on:
 *   ALGORITHM=hash    an X-Client-Id header, client-<VU> (nginx hashes it; see nginx/hash.conf)
 *   ALGORITHM=sticky  the route cookie nginx sets on the first answer (k6 keeps it: noCookiesReset)
 *   ALGORITHM=ip_hash the source address. nginx keys on its first three octets, so give each VU
 *                     its own /24 with --local-ips (loopback only, see below). In compose all VUs
 *                     share the k6 container's address: affinity holds, but all use one replica.
 * Every answer after a client's first must come from the same replica: a threshold on that rate
 * (== 1) fails the run on the first client that moves. Failed requests fail it too. The table shows
 * how many page loads each replica served, i.e. how the clients spread.
 *
 *   ./stack up --algorithm hash     && k6 run -e ALGORITHM=hash k6/affinity.js
 *   ./stack up --algorithm ip_hash  && k6 run -e ALGORITHM=ip_hash --local-ips "$(seq -s, -f '127.0.%g.1' 1 40)" k6/affinity.js
 *   ./stack up --algorithm sticky   && k6 run -e ALGORITHM=sticky k6/affinity.js   (nginx >= 1.29.6: tools/modern-nginx fetch)
 *   env: BASE_URL (http://localhost:8080), ALGORITHM (hash), INSTANCES (hits-1,hits-2,hits-3),
 *        VUS (40 clients), REQUESTS (10 per client)
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { Rate } from 'k6/metrics';
import { currentTotal, pageLoad, report } from './lib/hits.js';
import { AFFINITY_KEYS, affinityAlgorithm, countsFor, expectedInstances, intEnv, latencyThresholds } from './lib/options.js';

const algorithm = affinityAlgorithm(__ENV);
const instances = expectedInstances(__ENV);
const kept = new Rate('lb_affinity_kept');
/** @type {string | null} this VU's replica: each VU is one client, with its own copy of this module */
let replica = null;

export const options = {
  scenarios: {
    affinity: { executor: 'per-vu-iterations', vus: intEnv(__ENV, 'VUS', 40), iterations: intEnv(__ENV, 'REQUESTS', 10), maxDuration: '5m' },
  },
  noCookiesReset: true, // a client keeps its cookies from one page load to the next (sticky)
  thresholds: Object.assign({
    lb_affinity_kept: ['rate==1'],
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
  }, countsFor(instances), latencyThresholds(__ENV)),
};

// Fails fast, before any load, when the target is down.
export function setup() {
  currentTotal();
}

export default function () {
  const params = AFFINITY_KEYS[algorithm] === 'header' ? { headers: { 'X-Client-Id': `client-${exec.vu.idInTest}` } } : {};
  const { status, instance } = pageLoad(params);
  check(status, { 'GET / answered 200': (s) => s === 200 });
  if (status !== 200 || instance === null) {
    return;
  }
  if (replica === null) {
    replica = instance;
  } else {
    kept.add(instance === replica, { client: String(exec.vu.idInTest) });
  }
}

export function handleSummary(data) {
  const rate = data.metrics.lb_affinity_kept ? data.metrics.lb_affinity_kept.values : { passes: 0, fails: 0 };
  return report('affinity', data, instances, [
    `${algorithm}: clients keyed by ${AFFINITY_KEYS[algorithm]}; ${rate.passes} later page loads stayed on the client's replica, ${rate.fails} moved`,
  ]);
}
