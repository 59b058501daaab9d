// A typed program (ES module), checked by `tsc --noEmit` in the test suite.
import {
  Client,
  EngageLabError,
  NotFoundError,
  RateLimitedError,
  CancelledError,
  type AliasOptions,
  type ClientOptions,
  type Device,
  type JsonValue,
  type Status,
} from 'engagelab-push';
import engagelab from 'engagelab-push';

const options: ClientOptions = {
  appKey: 'app-key',
  masterSecret: 'master-secret',
  region: 'sgp',
  timeout: 30_000,
  connectTimeout: 10_000,
  maxRetries: 2,
  allowInsecureHttp: false,
};

export async function remove(id: string, signal?: AbortSignal): Promise<boolean> {
  const client = new Client(options);
  try {
    const done: Promise<void> = client.deleteDevice(id, { signal, timeout: 5_000 });
    await done;
    return true;
  } catch (e) {
    if (e instanceof NotFoundError) {
      const s: 'NOT_FOUND' = e.status;
      return s === 'NOT_FOUND';
    }
    if (e instanceof RateLimitedError && e.retryAfter !== null) {
      const wait: number = e.retryAfter;
      await new Promise((r) => setTimeout(r, wait));
    }
    if (e instanceof CancelledError) return false;
    if (e instanceof EngageLabError) {
      const status: Status | string = e.status;
      const fields: [number | null, number | null, number, boolean, string] = [
        e.httpStatus,
        e.apiCode,
        e.attempts,
        e.maybeDeleted,
        e.detail,
      ];
      console.error(status, fields, e.message);
    }
    throw e;
  } finally {
    client.close();
  }
}

export const fromEnv: Client = Client.fromEnv({ timeout: 1_000 });
export const same: typeof Client = engagelab.Client;
// @ts-expect-error: the id is a string
void fromEnv.deleteDevice(42);
// @ts-expect-error: times are numbers of milliseconds
void new Client({ appKey: 'k', masterSecret: 's', timeout: '30s' });

export async function backup(id: string, signal?: AbortSignal): Promise<string> {
  const device: Device = await fromEnv.getDevice(id, { signal });
  const tags: readonly string[] = device.tags;
  const alias: string | null = device.alias;
  const raw: { readonly [key: string]: JsonValue } = device.raw;
  console.log(device.registrationId, tags, alias, raw);
  // @ts-expect-error: a device is read-only
  device.alias = 'other';
  // @ts-expect-error: so are its tags
  device.tags.push('x');
  return device.rawJson;
}
// @ts-expect-error: the id is a string
void fromEnv.getDevice(42);

/** Erases a user: deletes every device bound to the alias, then checks that none is left. */
export async function eraseUser(alias: string, signal?: AbortSignal): Promise<readonly string[]> {
  const ids: string[] = await fromEnv.getAlias(alias, { signal });
  for (const id of ids) await fromEnv.deleteDevice(id, { signal });
  const left = await fromEnv.getAlias(alias, { signal, timeout: 5_000 });
  if (left.length > 0) throw new Error(`still bound to ${alias}: ${left.join(', ')}`);
  return ids;
}
const mobile: AliasOptions = { platforms: ['android', 'ios'] };
export const onMobile: Promise<string[]> = fromEnv.getAlias('user-42', mobile);
// @ts-expect-error: the alias is a string
void fromEnv.getAlias(42);
// @ts-expect-error: platforms is a list of names
void fromEnv.getAlias('user-42', { platforms: 'ios' });
// @ts-expect-error: the option is platforms
void fromEnv.getAlias('user-42', { platform: ['ios'] });
// @ts-expect-error: device calls take no platforms
void fromEnv.getDevice('id', { platforms: ['ios'] });
