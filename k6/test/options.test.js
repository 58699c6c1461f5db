// The k6 scripts' environment and thresholds (lib/options.js), as the scripts compute them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  affinityAlgorithm, countsFor, expectedInstances, expectedShares, intEnv, latencyThresholds, perInstanceThresholds,
  toleranceEnv, weightsEnv,
} from '../lib/options.js';

test('the expected instances default to the three replicas and ignore blanks', () => {
  assert.deepEqual(expectedInstances({}), ['hits-1', 'hits-2', 'hits-3']);
  assert.deepEqual(expectedInstances({ INSTANCES: ' orders-1, ,orders-2 ' }), ['orders-1', 'orders-2']);
  assert.throws(() => expectedInstances({ INSTANCES: ' , ' }), /INSTANCES must name at least one instance/);
});

test('a whole number from the environment, its default when unset, and an error naming a bad one', () => {
  assert.equal(intEnv({}, 'ITERATIONS', 3000), 3000);
  assert.equal(intEnv({ ITERATIONS: '' }, 'ITERATIONS', 3000), 3000);
  assert.equal(intEnv({ ITERATIONS: '900' }, 'ITERATIONS', 3000), 900);
  for (const bad of ['0', '-3', '2.5', 'many', '1e']) {
    assert.throws(() => intEnv({ VUS: bad }, 'VUS', 8), { message: `VUS must be a whole number >= 1, got '${bad}'` });
  }
});

test('the tolerance is 0.2 by default and must be from 0 to below 1', () => {
  assert.equal(toleranceEnv({}), 0.2);
  assert.equal(toleranceEnv({ TOLERANCE: '0' }), 0);
  assert.equal(toleranceEnv({ TOLERANCE: '0.05' }), 0.05);
  for (const bad of ['1', '-0.1', 'lots']) {
    assert.throws(() => toleranceEnv({ TOLERANCE: bad }), { message: `TOLERANCE must be a number from 0 to below 1, got '${bad}'` });
  }
});

test('weights are one positive number per instance, equal by default', () => {
  const three = ['hits-1', 'hits-2', 'hits-3'];
  assert.deepEqual(weightsEnv({}, three), [1, 1, 1]);
  assert.deepEqual(weightsEnv({ WEIGHTS: '3,1,1' }, three), [3, 1, 1]);
  for (const bad of ['3,1', '3,1,1,1', '3,0,1', '3,,1', '3,x,1']) {
    assert.throws(() => weightsEnv({ WEIGHTS: bad }, three),
      { message: `WEIGHTS must give one positive number per instance (hits-1,hits-2,hits-3), got '${bad}'` });
  }
});

test('each share is its weight over the sum, and the minimum that share less the tolerance, rounded down', () => {
  assert.deepEqual(expectedShares(['hits-1', 'hits-2', 'hits-3'], [3, 1, 1], 0.2, 3000), [
    { instance: 'hits-1', share: 0.6, minimum: 1440 },
    { instance: 'hits-2', share: 0.2, minimum: 480 },
    { instance: 'hits-3', share: 0.2, minimum: 480 },
  ]);
  const even = expectedShares(['a', 'b', 'c'], [1, 1, 1], 0.2, 900);
  assert.deepEqual(even.map((s) => s.minimum), [240, 240, 240]);
  assert.equal(even.reduce((sum, s) => sum + s.share, 0).toFixed(12), '1.000000000000');
});

test('every instance gets its own count threshold, so one that got nothing fails by name', () => {
  assert.deepEqual(perInstanceThresholds({ 'hits-1': 1440, 'hits-2': 480 }), {
    'lb_hits{instance:hits-1}': ['count>=1440'],
    'lb_hits{instance:hits-2}': ['count>=480'],
  });
  assert.deepEqual(countsFor(['hits-1']), { 'lb_hits{instance:hits-1}': ['count>=0'] });
});

test('latency limits are p95 < 1 s and p99 < 2 s unless set', () => {
  assert.deepEqual(latencyThresholds({}), { http_req_duration: ['p(95)<1000', 'p(99)<2000'] });
  assert.deepEqual(latencyThresholds({ P95_MS: '50', P99_MS: '80' }), { http_req_duration: ['p(95)<50', 'p(99)<80'] });
  assert.throws(() => latencyThresholds({ P99_MS: 'fast' }), /P99_MS must be a whole number/);
});

test('affinity runs only under the algorithms that have affinity', () => {
  assert.equal(affinityAlgorithm({}), 'hash');
  assert.equal(affinityAlgorithm({ ALGORITHM: 'sticky' }), 'sticky');
  assert.equal(affinityAlgorithm({ ALGORITHM: 'ip_hash' }), 'ip_hash');
  for (const bad of ['round_robin', 'constructor', 'toString']) {
    assert.throws(() => affinityAlgorithm({ ALGORITHM: bad }),
      { message: `ALGORITHM must be one of hash, sticky, ip_hash (the algorithms with affinity), got '${bad}'` });
  }
});
