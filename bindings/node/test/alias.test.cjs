'use strict';

// getAlias against engagelab-mock: an alias resolves to its ids in order
// ([] for an unknown one), platforms narrow the lookup (sent comma-joined),
// bad aliases and platforms are the core's to refuse (nothing sent), what a
// C string cannot carry is refused rather than changed, wrong
// JavaScript types reject with a TypeError, and a user is erased by
// resolving, deleting each id and resolving again.

const test = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');
const { Mock, CREDENTIALS } = require('./support/mock.cjs');
const { Client, InvalidArgumentError, ApiError } = require('engagelab-push');

let mock;
let base;
test.before(async () => {
  mock = await Mock.start();
  base = { ...CREDENTIALS, baseUrl: mock.url };
});
test.after(() => mock.stop());
test.beforeEach(async () => {
  await mock.reset();
  // user-7 has one device on each platform; someone else has one too.
  await mock.addDevice({ registration_id: 'u7-android', alias: 'user-7', platform: 'android' });
  await mock.addDevice({ registration_id: 'u7-ios', alias: 'user-7', platform: 'ios' });
  await mock.addDevice({ registration_id: 'u7-hmos', alias: 'user-7', platform: 'hmos' });
  await mock.addDevice({ registration_id: 'other-android', alias: 'user-8', platform: 'android' });
});

const paths = async () => (await mock.log()).map((r) => `${r.method} ${r.path}`);

test('getAlias resolves an alias to its ids in order; an unknown alias is []', async () => {
  const client = new Client(base);
  const ids = await client.getAlias('user-7');
  assert.ok(Array.isArray(ids));
  assert.deepEqual(ids, ['u7-android', 'u7-hmos', 'u7-ios']);
  assert.deepEqual(await client.getAlias('nobody'), []);
  // The alias travels as one escaped segment.
  assert.deepEqual(await client.getAlias('用户?#%'), []);
  assert.deepEqual(await paths(), [
    'GET /v4/aliases/user-7',
    'GET /v4/aliases/nobody',
    'GET /v4/aliases/%E7%94%A8%E6%88%B7%3F%23%25',
  ]);
  // A lookup changes nothing.
  assert.equal((await mock.devices()).length, 4);
  client.close();
});

test('platforms narrow the lookup, comma-joined in the order given, each once', async () => {
  const client = new Client(base);
  assert.deepEqual(await client.getAlias('user-7', { platforms: ['ios'] }), ['u7-ios']);
  assert.deepEqual(await client.getAlias('user-7', { platforms: Object.freeze(['hmos', 'android', 'hmos']) }), [
    'u7-android',
    'u7-hmos',
  ]);
  assert.deepEqual(await client.getAlias('user-7', { platforms: [] }), ['u7-android', 'u7-hmos', 'u7-ios']);
  // With a signal and a deadline too (el_get_alias_with).
  const signal = new AbortController().signal;
  assert.deepEqual(await client.getAlias('user-7', { platforms: ['android'], signal, timeout: 5_000 }), ['u7-android']);
  assert.deepEqual(await client.getAlias('user-8', { platforms: ['ios'] }), []);
  assert.deepEqual(await paths(), [
    'GET /v4/aliases/user-7?platform=ios',
    'GET /v4/aliases/user-7?platform=hmos,android',
    'GET /v4/aliases/user-7',
    'GET /v4/aliases/user-7?platform=android',
    'GET /v4/aliases/user-8?platform=ios',
  ]);
  client.close();
});

test('bad aliases reject with InvalidArgumentError from the core and send nothing', async () => {
  const client = new Client(base);
  const cases = [
    ['', 'alias is empty'],
    ['a'.repeat(41), '41 bytes'],
    ['用'.repeat(14), '42 bytes'],
    ['user/../devices', "'/' at byte 4"],
    ['user\u000142', 'U+0001 at byte 4'],
    ['user\n42', 'U+000A at byte 4'],
    ['user 42', 'U+0020 at byte 4'],
    ['..', '".."'],
  ];
  for (const [alias, text] of cases) {
    for (const options of [undefined, { signal: new AbortController().signal }]) {
      const error = await client.getAlias(alias, options).catch((e) => e);
      assert.ok(error instanceof InvalidArgumentError, `${JSON.stringify(alias)}: ${util.inspect(error)}`);
      assert.equal(error.status, 'INVALID_ARGUMENT');
      assert.equal(error.attempts, 0);
      assert.equal(error.maybeDeleted, false);
      assert.ok(error.detail.startsWith('alias ') && error.detail.includes(text), error.detail);
      assert.equal(error.message, `invalid argument: ${error.detail}`);
    }
  }
  // 40 bytes is allowed.
  assert.deepEqual(await client.getAlias('a'.repeat(40)), []);
  assert.deepEqual(await paths(), [`GET /v4/aliases/${'a'.repeat(40)}`]);
  client.close();
});

test('a bad platform rejects with InvalidArgumentError naming it and sends nothing', async () => {
  const client = new Client(base);
  const cases = [
    [['windows'], 'platform "windows" is not one of android, ios, hmos'],
    [['Android'], 'platform "Android" is not one of android, ios, hmos'],
    [['ios', ''], 'platform "" is not one of android, ios, hmos'],
    [['ios', ' android'], 'platform " android" is not one of android, ios, hmos'],
    // Each name reaches the core as given: never split at a comma, never
    // read as no platform when empty.
    [['android,ios'], 'platform "android,ios" is not one of android, ios, hmos'],
    [[''], 'platform "" is not one of android, ios, hmos'],
  ];
  for (const [platforms, detail] of cases) {
    await assert.rejects(
      client.getAlias('user-7', { platforms }),
      (e) => e instanceof InvalidArgumentError && e.attempts === 0 && e.detail === detail,
      util.inspect(platforms),
    );
  }
  assert.deepEqual(await mock.log(), []);
  client.close();
});

test('what the C strings cannot carry unchanged is refused, never altered', async () => {
  const client = new Client(base);
  const cases = [
    ['user\0x', {}, 'alias contains a NUL character'],
    ['user-\ud800', {}, 'alias is not valid Unicode: it holds a lone surrogate'],
    ['user-7', { platforms: ['ios', 'android\0'] }, 'platforms[1] contains a NUL character'],
    ['user-7', { platforms: ['\udc00'] }, 'platforms[0] is not valid Unicode: it holds a lone surrogate'],
  ];
  for (const [alias, options, detail] of cases) {
    await assert.rejects(
      client.getAlias(alias, options),
      (e) => e instanceof InvalidArgumentError && e.attempts === 0 && e.detail === detail && e.message === `invalid argument: ${detail}`,
      detail,
    );
  }
  assert.deepEqual(await mock.log(), []);
  client.close();
});

test('wrong JavaScript types reject with a TypeError and send nothing', async () => {
  const client = new Client(base);
  for (const alias of [undefined, null, 42, {}, ['user-7'], new String('user-7'), Symbol('s'), Buffer.from('user-7')]) {
    await assert.rejects(client.getAlias(alias), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE', util.inspect(alias));
  }
  const cases = [
    [null, TypeError],
    ['ios', TypeError],
    [{ platforms: 'ios' }, TypeError],
    [{ platforms: null }, TypeError],
    [{ platforms: new Set(['ios']) }, TypeError],
    [{ platforms: { 0: 'ios', length: 1 } }, TypeError],
    [{ platforms: [1] }, TypeError],
    [{ platforms: ['ios', null] }, TypeError],
    // A hole is not a name.
    [{ platforms: [, 'ios'] }, TypeError],
    [{ platform: ['ios'] }, TypeError],
    [{ signal: {} }, TypeError],
    [{ timeout: '5s' }, TypeError],
    [{ timeout: -1 }, RangeError],
  ];
  for (const [options, ErrorClass] of cases) {
    const code = ErrorClass === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE';
    await assert.rejects(
      client.getAlias('user-7', options),
      (e) => Object.getPrototypeOf(e) === ErrorClass.prototype && e.code === code,
      util.inspect(options),
    );
  }
  await assert.rejects(client.getAlias('user-7', { platforms: [, 'ios'] }), {
    message: 'options.platforms[0] must be a string, got type undefined',
  });
  await assert.rejects(client.getAlias('user-7', { platform: ['ios'] }), {
    message: 'options.platform is not an option; the options are signal, timeout, platforms',
  });
  // The device calls take no platforms.
  await assert.rejects(client.getDevice('u7-ios', { platforms: ['ios'] }), TypeError);
  await assert.rejects(client.deleteDevice('u7-ios', { platforms: ['ios'] }), TypeError);
  // The promise rejects; nothing throws synchronously.
  const p = client.getAlias(7);
  assert.ok(p instanceof Promise);
  await assert.rejects(p, /alias must be a string, got type number/);
  assert.deepEqual(await mock.log(), []);
  client.close();
});

test('getAlias maps the core’s errors; a closed client rejects clearly', async () => {
  const client = new Client({ ...base, backoffBase: 1, backoffMax: 20 });
  await mock.scriptAlias('user-7', [
    { status: 503, body: '{"error":{"code":27000,"message":"busy"}}' },
    { status: 200, body: '{"registration_ids":["retried"]}' },
  ]);
  assert.deepEqual(await client.getAlias('user-7'), ['retried']);
  await mock.scriptAlias('user-7', [{ status: 400, body: '{"error":{"code":21003,"message":"bad platform"}}' }]);
  const error = await client.getAlias('user-7').catch((e) => e);
  assert.ok(error instanceof ApiError, util.inspect(error));
  assert.deepEqual([error.httpStatus, error.apiCode, error.attempts, error.maybeDeleted], [400, 21003, 1, false]);
  assert.ok(error.message.includes('bad platform'), error.message);
  client.close();
  await assert.rejects(client.getAlias('user-7'), (e) => e.code === 'ERR_ENGAGELAB_CLIENT_CLOSED');
  assert.equal((await mock.log()).length, 3);
});

test('erasing a user: resolve the alias, delete each id, resolve again', async () => {
  const client = new Client(base);
  const ids = await client.getAlias('user-7');
  assert.equal(ids.length, 3);
  for (const id of ids) await client.deleteDevice(id);
  assert.deepEqual(await client.getAlias('user-7'), []);
  assert.deepEqual(await mock.devices(), ['other-android']);
  assert.deepEqual(await paths(), [
    'GET /v4/aliases/user-7',
    ...ids.map((id) => `DELETE /v4/devices/${id}`),
    'GET /v4/aliases/user-7',
  ]);
  client.close();
});
