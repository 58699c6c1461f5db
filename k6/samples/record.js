#!/usr/bin/env node
/*
 * record.js: records samples/failover.csv and .events, the sample the timeline tests draw.
 *
 * This project may not run k6 (AGPL; see k6/README.md), so the sample is recorded by this script in
 * the layout k6 v1.x writes with `--out csv=...,timeFormat=unix_milli`: the same columns, one row a
 * metric sample, the instance tag in extra_tags, timeouts as status 0 with k6's error and error code.
 * It sends what failover.js sends (GET / as JSON, four clients, a steady pace) through a running
 * `./stack up` while it kills hits-2 and starts it again (no request may fail), then pauses nginx
 * for 2 s (requests time out: the red marks). About 16 s.
 *
 *   ./stack up && node k6/samples/record.js && ./stack down
 *   env: BASE_URL (http://127.0.0.1:8080)
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const HEADER = 'metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,'
  + 'scenario,service,status,subproto,tls_version,url,extra_tags,metadata';
const CLIENTS = 4;
const PACE_MS = 40;
const here = new URL('.', import.meta.url).pathname;
const rows = [HEADER];
const events = [];

/** One CSV field as Go's encoding/csv (k6's writer) writes it. */
const field = (/** @type {unknown} */ v) => (/[",\r\n]|^ /.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
const row = (/** @type {unknown[]} */ values) => rows.push(values.map(field).join(','));

async function pageLoad() {
  const started = Date.now();
  const url = `${BASE_URL}/`;
  let status = 0;
  let instance = null;
  let error = '';
  let code = '';
  try {
    const res = await fetch(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(1000) });
    await res.text();
    status = res.status;
    instance = res.headers.get('x-instance-id');
  } catch (e) {
    error = 'request timeout';
    code = '1050';
  }
  const at = Date.now();
  const ok = status === 200;
  const req = (/** @type {string} */ metric, /** @type {number} */ value) => row([metric, at, value.toFixed(6), '', error, code,
    ok, '', 'GET', 'GET /', status ? 'HTTP/1.1' : '', 'failover', '', status, '', '', url, '', '']);
  req('http_reqs', 1);
  req('http_req_duration', at - started);
  req('http_req_failed', ok ? 0 : 1);
  if (instance) {
    row(['lb_hits', at, '1.000000', '', '', '', '', '', '', '', '', 'failover', '', '', '', '', '',
      `instance=${ok ? instance : `${instance} (${status})`}`, '']);
  }
  row(['checks', at, ok ? '1.000000' : '0.000000', 'GET / answered 200', '', '', '', '', '', '', '', 'failover', '', '', '', '', '', '', '']);
}

/** Runs `./stack ACTION NAME` and notes when, as failover.sh does: a kill once done, anything else when issued. */
async function act(/** @type {string[]} */ stackArgs) {
  const issued = Date.now();
  // Asynchronous: the clients keep loading pages while ./stack works.
  await promisify(execFile)(new URL('../../stack', import.meta.url).pathname, stackArgs);
  events.push(`${stackArgs[0] === 'kill' ? Date.now() : issued} ${stackArgs.join(' ')}`);
}

let done = false;
const clients = Array.from({ length: CLIENTS }, async () => {
  while (!done) {
    await pageLoad();
    await sleep(PACE_MS);
  }
});
await sleep(3000);
await act(['kill', 'hits-2']);
await sleep(3000);
await act(['start', 'hits-2']);
await sleep(3000);
await act(['pause', 'nginx']);
await sleep(2000);
await act(['resume', 'nginx']);
await sleep(2000);
done = true;
await Promise.all(clients);
writeFileSync(`${here}failover.csv`, `${rows.join('\n')}\n`);
writeFileSync(`${here}failover.events`, `${events.join('\n')}\n`);
console.log(`record.js: ${rows.length - 1} rows, ${events.length} events in ${here}`);
