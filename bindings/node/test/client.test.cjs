'use strict';

// The Client's JavaScript surface: wrong types get TypeError/RangeError (never
// a crash, never a request), NUL-carrying strings are refused rather than cut,
// close() is idempotent and later calls reject clearly, nothing shows the
// Master Secret, fromEnv reads the variables the core's from_env reads, and
// ESM and CommonJS hand out the very same classes.

const test = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');
const { Mock, CREDENTIALS } = require('./support/mock.cjs');
const engagelab = require('engagelab-push');
const { Client, EngageLabError, InvalidArgumentError, NotFoundError } = engagelab;

const SECRET = 'demo-master-secret';
let mock;
let base;
test.before(async () => {
  mock = await Mock.start();
  base = { ...CREDENTIALS, baseUrl: mock.url };
});
test.after(() => mock.stop());
test.beforeEach(() => mock.reset());

test('a non-string id rejects with a TypeError and sends nothing', async () => {
  const client = new Client(base);
  for (const id of [undefined, null, 42, 42n, {}, ['a'], Symbol('s'), () => 'a', new String('a'), Buffer.from('a')]) {
    await assert.rejects(client.deleteDevice(id), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE');
  }
  // The promise rejects; nothing throws synchronously.
  const p = client.deleteDevice(7);
  assert.ok(p instanceof Promise);
  await assert.rejects(p, TypeError);
  assert.deepEqual(await mock.log(), []);
  client.close();
});

test('wrong call options reject with a TypeError or RangeError', async () => {
  const client = new Client(base);
  const cases = [
    [null, TypeError],
    ['x', TypeError],
    [{ signal: 'abort' }, TypeError],
    [{ signal: {} }, TypeError],
    [{ signal: null }, TypeError],
    [{ timeout: '5s' }, TypeError],
    [{ timeout: -1 }, RangeError],
    [{ timeout: 1.5 }, RangeError],
    [{ timeout: Number.NaN }, RangeError],
    [{ timout: 5 }, TypeError],
    [[], TypeError],
    [['dev'], TypeError],
  ];
  for (const [options, ErrorClass] of cases) {
    const code = ErrorClass === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE';
    for (const call of [(o) => client.deleteDevice('dev', o), (o) => client.getDevice('dev', o), (o) => client.check(o)]) {
      await assert.rejects(call(options), (e) => e instanceof ErrorClass && e.code === code, util.inspect(options));
    }
  }
  await assert.rejects(client.getAlias('u', []), { code: 'ERR_INVALID_ARG_TYPE', message: 'options must be an object, got an array' });
  assert.deepEqual(await mock.log(), []);
  client.close();
});

test('wrong bulk options reject as wrong call options do: the same codes and wording', async () => {
  const client = new Client(base);
  const cases = [
    [null, TypeError, 'options must be an object, got null'],
    ['x', TypeError, 'options must be an object, got type string'],
    [[], TypeError, 'options must be an object, got an array'],
    [{ foo: 1 }, TypeError, /^options\.foo is not an option; the options are qps, concurrency, /],
    [{ signal: {} }, TypeError, 'options.signal must be an AbortSignal, got an object'],
    [{ qps: '5' }, TypeError, 'options.qps must be a number, got type string'],
    [{ qps: 0 }, RangeError, 'options.qps must be a whole number from 1 to 4294967295, got 0'],
    [{ concurrency: 1.5 }, RangeError, 'options.concurrency must be a whole number from 1 to 4294967295, got 1.5'],
    [{ maxDeletions: '2' }, TypeError, 'options.maxDeletions must be a number, got type string'],
    [{ stallTimeout: -1 }, RangeError, `options.stallTimeout must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER}, got -1`],
    [{ dryRun: 1 }, TypeError, 'options.dryRun must be a boolean, got type number'],
    [{ journal: 7 }, TypeError, 'options.journal must be a string, got type number'],
    [{ report: null }, TypeError, 'options.report must be a string, got null'],
    [{ confirm: true }, TypeError, 'options.confirm must be a function, got type boolean'],
    [{ onProgress: {} }, TypeError, 'options.onProgress must be a function, got an object'],
  ];
  for (const [options, ErrorClass, message] of cases) {
    const code = ErrorClass === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE';
    const expected = (e) => {
      assert.ok(e instanceof ErrorClass, util.inspect(e));
      assert.equal(e.code, code, util.inspect(options));
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    };
    await assert.rejects(client.deleteDevices(['dev'], options), expected);
    await assert.rejects(client.eraseUsers(['user'], options), expected);
  }
  const inputs = [
    [() => client.deleteDevices('dev'), 'ids must be an array of strings or { path: string }, got type string'],
    [() => client.deleteDevices({ path: 7 }), 'ids must be an array of strings or { path: string }, got an object'],
    [() => client.deleteDevices(['a', 5]), 'ids[1] must be a string, got type number'],
    [() => client.eraseUsers('user'), 'aliases must be an array of strings, got type string'],
    [() => client.eraseUsers([null]), 'aliases[0] must be a string, got null'],
    // A hole is no string either (forEach skips it; C would get a NULL entry).
    [() => client.deleteDevices(['a', , 'b']), 'ids[1] must be a string, got type undefined'],
    [() => client.eraseUsers(new Array(2)), 'aliases[0] must be a string, got type undefined'],
  ];
  for (const [call, message] of inputs) await assert.rejects(call(), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message });
  assert.deepEqual(await mock.log(), []);
  client.close();
});

test('wrong option types throw TypeError or RangeError from the constructor', () => {
  const cases = [
    [undefined, TypeError],
    [null, TypeError],
    ['key', TypeError],
    [[], TypeError],
    [{}, TypeError],
    [{ appKey: 'k' }, TypeError],
    [{ masterSecret: 's' }, TypeError],
    [{ appKey: 1, masterSecret: 's' }, TypeError],
    [{ ...base, timeout: '30s' }, TypeError],
    [{ ...base, timeout: -5 }, RangeError],
    [{ ...base, timeout: 0.5 }, RangeError],
    [{ ...base, timeout: Infinity }, RangeError],
    [{ ...base, connectTimeout: null }, TypeError],
    [{ ...base, maxRetries: 2 ** 32 }, RangeError],
    [{ ...base, allowInsecureHttp: 'yes' }, TypeError],
    [{ ...base, region: 3 }, TypeError],
    [{ ...base, proxy: {} }, TypeError],
    [{ ...base, backoffBase: 5 }, TypeError],
    [{ ...base, timeoutMs: 5 }, TypeError],
  ];
  for (const [options, ErrorClass] of cases) {
    assert.throws(() => new Client(options), ErrorClass, util.inspect(options));
  }
});

test('bad values are the core’s to judge: InvalidArgumentError naming the setting', () => {
  const cases = [
    [{ ...base, appKey: '' }, 'app_key'],
    [{ ...base, region: 'mars' }, 'mars'],
    [{ ...base, baseUrl: 'ftp://example.com' }, 'base'],
    [{ ...base, timeout: 0 }, 'timeout'],
    [{ ...base, caFile: '/no/such/file.pem' }, 'file'],
  ];
  for (const [options, text] of cases) {
    assert.throws(
      () => new Client(options),
      (e) => e instanceof InvalidArgumentError && e.status === 'INVALID_ARGUMENT' && e.attempts === 0 && e.detail.includes(text),
      text,
    );
  }
});

test('strings with a NUL are refused, never cut short', async () => {
  assert.throws(() => new Client({ ...base, masterSecret: `${SECRET}\0tail` }), InvalidArgumentError);
  const client = new Client(base);
  await mock.addDevice('dev');
  await assert.rejects(
    client.deleteDevice('dev\0x'),
    (e) =>
      e instanceof InvalidArgumentError &&
      e.attempts === 0 &&
      e.detail === 'registration_id contains a NUL character' &&
      e.message === 'invalid argument: registration_id contains a NUL character',
  );
  assert.deepEqual(await mock.devices(), ['dev']);
  // In a bulk run too: C would cut 'dev\0x' to 'dev' and delete it, or an
  // alias to another user's and erase them.
  const refused = (what) => (e) => e instanceof InvalidArgumentError && e.detail === `${what} contains a NUL character`;
  await assert.rejects(client.deleteDevices(['other', 'dev\0x']), refused('ids[1]'));
  await assert.rejects(client.eraseUsers(['user\0someone-else']), refused('aliases[0]'));
  await assert.rejects(client.deleteDevices({ path: 'ids.txt\0x' }), refused('path'));
  await assert.rejects(client.deleteDevices(['dev'], { journal: 'run.journal\0x' }), refused('journal'));
  // An explicit 0 is refused, not read as the default (the C ABI's 0).
  for (const key of ['qps', 'concurrency', 'maxDeletions', 'stallTimeout']) {
    await assert.rejects(client.deleteDevices(['dev'], { [key]: 0 }), RangeError, key);
  }
  assert.deepEqual(await mock.devices(), ['dev']);
  assert.deepEqual(await mock.log(), []);
  client.close();
});

test('empty, over-long and non-ASCII ids reject with InvalidArgumentError from the core', async () => {
  const client = new Client(base);
  for (const id of ['', 'x'.repeat(10_000), 'dév', '\ud800']) {
    await assert.rejects(client.deleteDevice(id), InvalidArgumentError);
  }
  assert.deepEqual(await mock.log(), []);
  client.close();
});

test('close() is idempotent and a call after it rejects clearly', async () => {
  const client = new Client(base);
  await mock.addDevice('dev');
  await client.deleteDevice('dev');
  assert.equal(client.closed, false);
  client.close();
  client.close();
  assert.equal(client.closed, true);
  await assert.rejects(client.deleteDevice('dev'), (e) => e.code === 'ERR_ENGAGELAB_CLIENT_CLOSED' && /closed/.test(e.message));
  assert.equal((await mock.log()).length, 1);
});

test('a call made after close() while a slow call runs is refused at once', async () => {
  const client = new Client(base);
  await mock.script('slow-closing', [{ status: 200, delay_ms: 3000 }]);
  let settled = false;
  const pending = client.deleteDevice('slow-closing').finally(() => {
    settled = true;
  });
  client.close();
  await assert.rejects(
    client.deleteDevice('dev-other', { timeout: 300 }),
    (e) => e.code === 'ERR_ENGAGELAB_CLIENT_CLOSED' && /the client is closed/.test(e.message),
  );
  assert.equal(settled, false, 'the refusal waited for the running call');
  await pending;
});

test('close() during a call lets the call finish, then frees the client', async () => {
  const client = new Client(base);
  await mock.script('slow', [{ status: 200, delay_ms: 300 }]);
  const pending = client.deleteDevice('slow');
  client.close();
  await pending;
  await assert.rejects(client.deleteDevice('slow'), (e) => e.code === 'ERR_ENGAGELAB_CLIENT_CLOSED');
});

test('a Symbol.dispose closes the client', () => {
  const client = new Client(base);
  client[Symbol.dispose]();
  assert.equal(client.closed, true);
});

test('inspect, JSON and errors never show the Master Secret', async () => {
  const secret = 'a-very-secret-master-secret';
  const client = new Client({ ...base, masterSecret: secret });
  const error = await client.deleteDevice('dev').catch((e) => e);
  assert.ok(error instanceof engagelab.AuthError);
  const texts = [
    util.inspect(client, { showHidden: true, depth: 10 }),
    JSON.stringify(client),
    String(client),
    util.inspect(error, { showHidden: true, depth: 10 }),
    JSON.stringify(error),
    error.stack,
    error.message,
  ];
  for (const text of texts) assert.ok(!text.includes(secret), text);
  assert.ok(util.inspect(client).includes(CREDENTIALS.appKey));
  client.close();
});

test('a per-call timeout of 0 is the core\'s TimeoutError, with nothing sent', async () => {
  await mock.addDevice('zero-dev');
  const client = new Client(base);
  for (const call of [
    () => client.deleteDevice('zero-dev', { timeout: 0 }),
    () => client.getDevice('zero-dev', { timeout: 0 }),
    () => client.getAlias('zero-user', { timeout: 0 }),
    () => client.check({ timeout: 0 }),
  ]) {
    const error = await call().catch((e) => e);
    assert.ok(error instanceof engagelab.TimeoutError, util.inspect(error));
    assert.equal(error.attempts, 0);
    assert.equal(error.maybeDeleted, false);
  }
  assert.deepEqual(await mock.log(), []);
  assert.deepEqual(await mock.devices(), ['zero-dev']);
  client.close();
});

test('errors carry every field of the error model', async () => {
  const client = new Client({ ...base, backoffBase: 1, backoffMax: 2 });
  await mock.script('busy', [{ status: 429, body: '{"error":{"code":23008,"message":"slow down"}}', headers: { 'Retry-After': '0' } }]);
  await mock.config({ unknown_device: { status: 404, body: '{"error":{"code":20101,"message":"no such device"}}' } });
  const error = await client.deleteDevice('nope').catch((e) => e);
  assert.ok(error instanceof NotFoundError);
  assert.ok(error instanceof EngageLabError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'NotFoundError');
  assert.equal(error.status, 'NOT_FOUND');
  assert.equal(error.httpStatus, 404);
  assert.equal(error.apiCode, 20101);
  assert.equal(error.attempts, 1);
  assert.equal(error.retryAfter, null);
  assert.equal(error.maybeDeleted, false);
  assert.equal(error.detail, 'no such device');
  assert.equal(
    error.message,
    'EngageLab does not know this registration id or alias (HTTP 404, code 20101): no such device; ' +
      'check it, and that it belongs to this AppKey and data center',
  );
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(error))).sort(), [
    'apiCode', 'attempts', 'detail', 'httpStatus', 'maybeDeleted', 'message', 'name', 'retryAfter', 'status',
  ]);
  client.close();
});

test('the message is the core\'s sentence for the record (el_error_describe)', () => {
  const native = require('../lib/native.cjs');
  const { toError } = require('../lib/errors.cjs');
  const record = native.newError();
  record.writeUInt32LE(engagelab.RateLimitedError.CODE, native.OFF.status);
  record.writeUInt16LE(429, native.OFF.http_status);
  record.writeBigInt64LE(23008n, native.OFF.api_code);
  record.writeUInt32LE(3, native.OFF.attempts);
  record.writeUInt32LE(7000, native.OFF.retry_after_ms);
  record.writeUInt8(1, native.OFF.maybe_deleted);
  Buffer.from('too many requests').copy(record, native.OFF.message);
  const error = toError(engagelab.RateLimitedError.CODE, record);
  assert.ok(error instanceof engagelab.RateLimitedError);
  assert.equal(error.detail, 'too many requests');
  assert.equal(error.message, native.describeError(record));
  assert.equal(
    error.message,
    'EngageLab is rate limiting this AppKey (HTTP 429, code 23008): too many requests, after 3 attempts, ' +
      'server asks to wait 7.000s; slow down and retry later; an earlier attempt may already have deleted the device',
  );
  // A sentence longer than the first buffer (invalid UTF-8 in the message
  // grows as U+FFFD) is asked for again, whole.
  record.fill(0xff, native.OFF.message, native.OFF.message + 255);
  const long = native.describeError(record);
  assert.ok(Buffer.byteLength(long) > 512, `${Buffer.byteLength(long)} bytes`);
  assert.equal(Buffer.byteLength(long), Number(native.C.el_error_describe(record, null, 0)));
  assert.ok(long.endsWith('; an earlier attempt may already have deleted the device'));
});

test('fromEnv reads ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET and ENGAGELAB_BASE_URL', async () => {
  const saved = { ...process.env };
  try {
    delete process.env.ENGAGELAB_REGION;
    process.env.ENGAGELAB_APP_KEY = CREDENTIALS.appKey;
    process.env.ENGAGELAB_MASTER_SECRET = CREDENTIALS.masterSecret;
    process.env.ENGAGELAB_BASE_URL = mock.url;
    await mock.addDevice('env-dev');
    const client = Client.fromEnv();
    assert.deepEqual(client.toJSON(), {
      description: `app_key="${CREDENTIALS.appKey}", region=none, base_url="${mock.url}", timeout=30s, max_retries=2, proxy=no`,
      closed: false,
    });
    await client.deleteDevice('env-dev');
    client.close();
    assert.deepEqual(await mock.devices(), []);

    process.env.ENGAGELAB_REGION = 'sgp';
    assert.throws(() => Client.fromEnv(), (e) => e instanceof InvalidArgumentError && /not both/.test(e.detail));
    process.env.ENGAGELAB_BASE_URL = '';
    process.env.ENGAGELAB_REGION = 'mars';
    assert.throws(() => Client.fromEnv(), (e) => e instanceof InvalidArgumentError && e.detail.startsWith('ENGAGELAB_REGION: '));
    delete process.env.ENGAGELAB_REGION;
    process.env.ENGAGELAB_BASE_URL = mock.url;
    // Overrides replace the other options; a bad one is the core's to refuse.
    const over = Client.fromEnv({ timeout: 1000, region: 'hk' });
    assert.match(over.toJSON().description, /region=none, base_url="[^"]+", timeout=1s,/);
    over.close();
    assert.equal(String(over), `Client(${over.toJSON().description}, closed)`);
    // The core's description: the region shown, never the secret; an empty
    // variable is unset by the core's rule.
    process.env.ENGAGELAB_BASE_URL = '';
    process.env.ENGAGELAB_REGION = 'jpn';
    const regional = Client.fromEnv();
    assert.match(util.inspect(regional), /^Client\(app_key="[^"]+", region=jpn, base_url="https:\/\/pushapi-jpn\.engagelab\.com"/);
    assert.ok(!util.inspect(regional).includes(CREDENTIALS.masterSecret));
    regional.close();
    delete process.env.ENGAGELAB_REGION;
    process.env.ENGAGELAB_BASE_URL = mock.url;
    assert.throws(() => Client.fromEnv({ timeout: 0 }), InvalidArgumentError);
    // The credentials come from the environment only.
    assert.throws(() => Client.fromEnv({ appKey: CREDENTIALS.appKey }), TypeError);
    process.env.ENGAGELAB_MASTER_SECRET = '';
    assert.throws(() => Client.fromEnv(), (e) => e instanceof InvalidArgumentError && e.detail === 'ENGAGELAB_MASTER_SECRET is not set');
    delete process.env.ENGAGELAB_APP_KEY;
    assert.throws(
      () => Client.fromEnv(),
      (e) =>
        e instanceof InvalidArgumentError &&
        e.detail === 'ENGAGELAB_APP_KEY is not set' &&
        // The core's sentence, as el_config_from_env reports it.
        e.message === 'invalid argument: ENGAGELAB_APP_KEY is not set',
    );
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});

test('ESM and CommonJS share the same classes', async () => {
  const esm = await import('engagelab-push');
  assert.equal(esm.Client, Client);
  assert.equal(esm.NotFoundError, NotFoundError);
  assert.equal(esm.default, engagelab);
  const names = Object.keys(engagelab).sort();
  assert.deepEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), names);
});

test('clients never closed are freed by the FinalizationRegistry once garbage', async () => {
  const v8 = require('node:v8');
  const vm = require('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const { liveClients } = require('../lib/client.cjs');
  const before = liveClients();
  (() => {
    for (let i = 0; i < 500; i++) new Client(base);
  })();
  assert.equal(liveClients(), before + 500);
  // A client with a call in flight stays alive until the call returns.
  await mock.script('slow', [{ status: 200, delay_ms: 300 }]);
  const pending = new Client(base).deleteDevice('slow');
  for (let i = 0; i < 50 && liveClients() > before + 1; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(liveClients(), before + 1);
  await pending;
  for (let i = 0; i < 50 && liveClients() > before; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(liveClients(), before);
});

test('getDevice returns the tags, alias and whole answer, frozen; an unknown id is NOT_FOUND', async () => {
  const { NotFoundError, CancelledError } = engagelab;
  await mock.addDevice({ registration_id: 'dev-node-get', tags: ['vip', 'beta'], alias: 'alice' });
  await mock.addDevice('dev-node-plain');
  const client = new Client({ ...base, backoffBase: 1, backoffMax: 20 });

  const device = await client.getDevice('dev-node-get');
  assert.equal(device.registrationId, 'dev-node-get');
  assert.deepEqual(device.tags, ['vip', 'beta']);
  assert.equal(device.alias, 'alice');
  assert.deepEqual(device.raw, { tags: ['vip', 'beta'], alias: 'alice' });
  assert.deepEqual(JSON.parse(device.rawJson), device.raw);
  assert.ok(Object.isFrozen(device) && Object.isFrozen(device.tags) && Object.isFrozen(device.raw));
  assert.throws(() => device.tags.push('x'), TypeError);

  const plain = await client.getDevice('dev-node-plain', { timeout: 5_000 });
  assert.deepEqual([plain.tags, plain.alias], [[], null]);

  const error = await client.getDevice('dev-node-nope').catch((e) => e);
  assert.ok(error instanceof NotFoundError, util.inspect(error));
  assert.equal(error.status, 'NOT_FOUND');
  assert.equal(error.httpStatus, 400);
  assert.equal(error.apiCode, 27002);
  assert.equal(error.attempts, 1);
  assert.equal(error.maybeDeleted, false);
  assert.ok(error.message.includes(error.detail), error.message);
  assert.ok((await mock.devices()).includes('dev-node-get'), 'getDevice removed the device');

  // The same argument checks and signal as deleteDevice.
  await assert.rejects(client.getDevice(7), TypeError);
  await assert.rejects(client.getDevice('dev\0x'), InvalidArgumentError);
  const abort = new AbortController();
  abort.abort();
  await assert.rejects(client.getDevice('dev-node-get', { signal: abort.signal }), CancelledError);
  client.close();
  await assert.rejects(client.getDevice('dev-node-get'), (e) => e.code === 'ERR_ENGAGELAB_CLIENT_CLOSED');
});
