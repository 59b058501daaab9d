// The bulk benchmark's Node.js client (bench/bulk.py): one deleteDevices run
// over a file of ids through this package.
//
//   ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... ENGAGELAB_BASE_URL=... \
//     node bench/node/bulk.mjs IDS_FILE QPS REPORT
//
// The figures come from the run's own summary, the report's last line; it
// exits 1 when the run did not succeed.
const [path, qps, report] = process.argv.slice(2);
if (!path || !qps || !report) {
  console.error('usage: node bench/node/bulk.mjs IDS_FILE QPS REPORT');
  process.exit(2);
}
const { Client } = await import('../../bindings/node/lib/index.mjs');
const client = Client.fromEnv();
try {
  const summary = await client.deleteDevices({ path }, { qps: Number(qps), maxDeletions: 100_000_000, report });
  process.exitCode = summary.failed === 0 && !summary.interrupted && summary.stopped === null ? 0 : 1;
} finally {
  client.close();
}
