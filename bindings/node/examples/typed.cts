// A typed program (CommonJS), checked by `tsc --noEmit` in the test suite.
import engagelab = require('engagelab-push');

export async function remove(id: string): Promise<void> {
  const client = new engagelab.Client({ appKey: 'k', masterSecret: 's', baseUrl: 'http://127.0.0.1:1' });
  try {
    await client.deleteDevice(id);
  } catch (e) {
    if (e instanceof engagelab.ApiError) console.error(e.apiCode, e.httpStatus);
    else throw e;
  } finally {
    client.close();
  }
}

export async function devicesOf(alias: string): Promise<string[]> {
  const client = new engagelab.Client({ appKey: 'k', masterSecret: 's', baseUrl: 'http://127.0.0.1:1' });
  try {
    const options: engagelab.AliasOptions = { platforms: ['hmos'], timeout: 5_000 };
    return await client.getAlias(alias, options);
  } finally {
    client.close();
  }
}

export async function removeAll(ids: readonly string[]): Promise<engagelab.BulkSummary | null> {
  const client = new engagelab.Client({ appKey: 'k', masterSecret: 's', baseUrl: 'http://127.0.0.1:1' });
  try {
    return await client.deleteDevices(ids, { maxDeletions: 100 });
  } catch (e) {
    // A run refused or stopped by the engine: why, and what was done.
    if (e instanceof engagelab.EngageLabError && e.bulkError !== undefined) {
      const why: engagelab.BulkError = e.bulkError;
      const done: engagelab.BulkSummary | undefined = e.summary;
      const logged: string | undefined = e.toJSON().bulkError;
      console.error(why, done?.deleted, logged, e.toJSON().summary?.notStarted);
      // @ts-expect-error: the summary is read-only
      if (done) done.deleted = 0;
      return null;
    }
    throw e;
  } finally {
    client.close();
  }
}
