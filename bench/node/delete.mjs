// Sequential deletes for the benchmarks, in the shape of bench/python/harness.py:
//
//   node bench/node/delete.mjs CLIENT N|SECONDSs BASE_URL [CA_FILE|-] [WARMUP] [IN_FLIGHT]
//
// CLIENT is
//   engagelab  this package (koffi over libengagelab_push, retries off);
//   http       node:https / node:http with an Agent({ keepAlive: true }), the
//              baseline a Node user would write by hand;
//   fetch      Node's built-in fetch (undici), what a Node user reaches for
//              first; over TLS it trusts CA_FILE through NODE_EXTRA_CA_CERTS.
// N is a number of timed calls, or a duration such as 5s. One call at a time,
// after WARMUP (default 200) untimed calls, each answer checked for a 2xx;
// with IN_FLIGHT (default 1) above 1, that many loops run at once on one
// client (bench/in_flight.py), the Agent allowing as many sockets.
// Prints one JSON line: calls, seconds, calls_per_sec, p50_us, p99_us,
// cpu_us_per_call (the process's user+system time over the timed phase) and
// rss_mib (peak RSS of the process). Exits 1 if any call failed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';

const DEVICE = 'bench-device-0001';
const APP_KEY = 'bench-app-key';
const MASTER_SECRET = 'bench-master-secret';
const AUTHORIZATION = `Basic ${Buffer.from(`${APP_KEY}:${MASTER_SECRET}`).toString('base64')}`;

const [which, amount, baseUrlArg, caArg = '-', warmupArg = '200', inFlightArg = '1'] = process.argv.slice(2);
if (!which || !amount || !baseUrlArg) {
  console.error('usage: node bench/node/delete.mjs engagelab|http|fetch N|SECONDSs BASE_URL [CA_FILE|-] [WARMUP]');
  process.exit(2);
}
const baseUrl = baseUrlArg.replace(/\/+$/, '');
const caFile = caArg === '-' || caArg === '' ? undefined : caArg;
const seconds = amount.endsWith('s') ? Number(amount.slice(0, -1)) : 0;
const calls = seconds ? 0 : Number(amount);
const warmup = Number(warmupArg);
const inFlight = Math.max(1, Number(inFlightArg));
const url = `${baseUrl}/v4/devices/${DEVICE}`;

// fetch reads extra CAs only at start-up: run again with them.
if (which === 'fetch' && caFile && process.env.NODE_EXTRA_CA_CERTS !== caFile) {
  const again = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile },
  });
  process.exit(again.status ?? 1);
}

async function makeClient() {
  if (which === 'engagelab') {
    const { Client } = await import('../../bindings/node/lib/index.mjs');
    const client = new Client({ appKey: APP_KEY, masterSecret: MASTER_SECRET, baseUrl, maxRetries: 0, ...(caFile ? { caFile } : {}) });
    const pkg = JSON.parse(fs.readFileSync(new URL('../../bindings/node/package.json', import.meta.url), 'utf8'));
    return { impl: 'engagelab-push (node)', version: pkg.version, call: () => client.deleteDevice(DEVICE) };
  }
  if (which === 'http') {
    const tls = url.startsWith('https:');
    const mod = tls ? https : http;
    const agent = new mod.Agent({ keepAlive: true, maxSockets: inFlight, ...(tls && caFile ? { ca: fs.readFileSync(caFile) } : {}) });
    const headers = { authorization: AUTHORIZATION, accept: 'application/json' };
    const call = () =>
      new Promise((resolve, reject) => {
        const req = mod.request(url, { method: 'DELETE', agent, headers }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            Buffer.concat(chunks).toString('utf8');
            if (res.statusCode >= 200 && res.statusCode < 300) resolve();
            else reject(new Error(`HTTP ${res.statusCode}`));
          });
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
    return { impl: `node:${tls ? 'https' : 'http'} Agent keepAlive`, version: process.version, call };
  }
  if (which === 'fetch') {
    const headers = { authorization: AUTHORIZATION, accept: 'application/json' };
    const call = async () => {
      const res = await fetch(url, { method: 'DELETE', headers });
      await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    };
    return { impl: 'fetch (undici)', version: process.version, call };
  }
  console.error(`unknown client ${which}: engagelab, http or fetch`);
  process.exit(2);
}

function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  const rank = Math.min(Math.max(Math.ceil(q * sorted.length), 1), sorted.length);
  return Number(sorted[rank - 1]) / 1000;
}

const { impl, version, call } = await makeClient();
let errors = 0;
let firstError;
const once = async () => {
  try {
    await call();
  } catch (e) {
    errors++;
    firstError ??= String(e);
  }
};
for (let i = 0; i < warmup; i++) await once();

const lats = [];
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const deadline = t0 + BigInt(Math.round(seconds * 1e9));
const loop = async (share) => {
  for (let i = 0; seconds ? true : i < share; i++) {
    const start = process.hrtime.bigint();
    await once();
    const end = process.hrtime.bigint();
    lats.push(end - start);
    if (seconds && end >= deadline) break;
  }
};
await Promise.all(Array.from({ length: inFlight }, () => loop(Math.ceil(calls / inFlight))));
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
lats.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const result = {
  impl,
  version,
  calls: lats.length,
  seconds: Number(wall.toFixed(3)),
  calls_per_sec: Number((lats.length / wall).toFixed(1)),
  p50_us: percentile(lats, 0.5),
  p99_us: percentile(lats, 0.99),
  cpu_us_per_call: Number(((cpu.user + cpu.system) / lats.length).toFixed(1)),
  rss_mib: Number((process.resourceUsage().maxRSS / 1024).toFixed(1)),
  errors,
};
if (firstError) result.first_error = firstError;
console.log(JSON.stringify(result));
process.exit(errors ? 1 : 0);
