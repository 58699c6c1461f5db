// k6/run.sh's own logic: run k6, then draw the timeline whatever the verdict, keep k6's exit status.
// k6 may not run here (see k6/README.md), so K6 names a stand-in that leaves what a k6 run leaves: the
// sample CSV and an undrawn report in OUT_DIR, then the exit status it is told (99: a threshold failed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reportHtml } from '../lib/report.js';

const root = new URL('../../', import.meta.url).pathname;
const sample = new URL('../samples/failover.csv', import.meta.url).pathname;

function run(/** @type {number} */ k6Status, /** @type {string[]} */ args = ['distribution']) {
  const dir = mkdtempSync(join(tmpdir(), 'run-sh-'));
  writeFileSync(join(dir, 'report.html'), reportHtml('distribution', 'x', [], 0, k6Status === 0, []));
  const standIn = join(dir, 'k6');
  writeFileSync(standIn, `#!/bin/sh\necho "k6 $*" > '${dir}/args'\ncp '${sample}' '${dir}/distribution.csv'\n`
    + `cp '${dir}/report.html' '${dir}/distribution.html'\nexit ${k6Status}\n`);
  chmodSync(standIn, 0o755);
  const result = spawnSync(join(root, 'k6/run.sh'), args, { cwd: root, encoding: 'utf8', env: { ...process.env, K6: standIn, OUT_DIR: dir } });
  return { dir, result };
}

test('run.sh runs the script with a CSV of every sample, then draws it and deletes the CSV', () => {
  const { dir, result } = run(0, ['distribution', '-e', 'ITERATIONS=900']);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(readFileSync(join(dir, 'args'), 'utf8').trim(),
    `k6 run --out csv=fileName=${dir}/distribution.csv,timeFormat=unix_milli -e ITERATIONS=900 k6/distribution.js`);
  assert.match(result.stdout, /^timeline: [\d.]+ s, hits-1 \(\d+\)/m);
  assert.match(readFileSync(join(dir, 'distribution.html'), 'utf8'), /<h2>Over time<\/h2>/);
  assert.equal(existsSync(join(dir, 'distribution.csv')), false);
});

test('a failed run is drawn too, and run.sh keeps its exit status', () => {
  const { dir, result } = run(99);
  assert.equal(result.status, 99);
  assert.match(readFileSync(join(dir, 'distribution.html'), 'utf8'), /<h2>Over time<\/h2>/);
});

test('run.sh names what it runs, and says where to get k6 when there is none', () => {
  const usage = spawnSync(join(root, 'k6/run.sh'), ['soak'], { cwd: root, encoding: 'utf8' });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /^usage: k6\/run\.sh distribution\|affinity\|failover/);
  const missing = spawnSync(join(root, 'k6/run.sh'), ['distribution'], { cwd: root, encoding: 'utf8', env: { ...process.env, K6: '/nonexistent/k6' } });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /run\.sh: k6 not found: install k6 v1\.x \(k6\/README\.md, 'Get k6'\), or K6=\/path\/to\/k6/);
});
