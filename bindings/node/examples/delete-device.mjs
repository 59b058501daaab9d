// Deletes one device: node examples/delete-device.mjs REGISTRATION_ID
//
// Credentials and the data center come from the environment:
// ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET, and ENGAGELAB_REGION or
// ENGAGELAB_BASE_URL. Ctrl-C cancels the call in flight.
import { Client, EngageLabError, NotFoundError } from 'engagelab-push';

const id = process.argv[2];
if (!id) {
  console.error('usage: node delete-device.mjs REGISTRATION_ID');
  process.exit(2);
}

const client = Client.fromEnv();
const abort = new AbortController();
process.once('SIGINT', () => abort.abort(new Error('interrupted')));
try {
  await client.deleteDevice(id, { signal: abort.signal });
  console.log(`deleted ${id}`);
} catch (e) {
  if (e instanceof NotFoundError) {
    // HTTP 404, or EngageLab's 400 with code 27002.
    console.error(`no such device: ${id}`);
    if (e.maybeDeleted) console.error('an earlier attempt of this call may have deleted it');
  } else if (e instanceof EngageLabError) {
    console.error(`${e.name} [${e.status}] ${e.message}`);
    if (e.maybeDeleted) console.error('the device may already be gone: check before retrying');
  } else {
    throw e;
  }
  process.exitCode = 1;
} finally {
  client.close();
}
