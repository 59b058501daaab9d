// Erases users by alias: node examples/erase-users.mjs ALIAS...
//
// Every device bound to them is backed up, deleted through the bulk engine
// and checked again, with a report and a journal in the current directory.
// Credentials come from the environment as in delete-device.mjs. Ctrl-C
// stops the run: nothing more is sent.
import { Client, EngageLabError } from 'engagelab-push';

const aliases = process.argv.slice(2);
if (aliases.length === 0) {
  console.error('usage: node erase-users.mjs ALIAS...');
  process.exit(2);
}

const client = Client.fromEnv();
const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
try {
  const erasure = await client.eraseUsers(aliases, {
    backup: 'erased.backup.jsonl',
    report: 'erasure.report.jsonl',
    journal: 'erasure.journal',
    signal: abort.signal,
  });
  for (const u of erasure.users) {
    if (u.stillBound === null) console.log(`${u.alias}: not checked`);
    else if (u.stillBound.length === 0) console.log(`${u.alias}: no device bound`);
    else console.log(`${u.alias}: still bound: ${u.stillBound.join(' ')}`);
  }
  console.log(`deleted ${erasure.deleted}, failed ${erasure.failed}`);
  process.exitCode = erasure.isSuccess ? 0 : 1;
} catch (e) {
  if (!(e instanceof EngageLabError)) throw e;
  // Only a run stopped mid-way (a file it could not write) has deleted
  // anything; every other failure sent no DELETE.
  if (e.bulkError === 'WRITE_FAILED') console.error(`stopped after deleting ${e.summary.deleted}: ${e.message}`);
  else console.error(`nothing erased: ${e.name} [${e.status}] ${e.message}`);
  process.exitCode = 1;
} finally {
  client.close();
}
