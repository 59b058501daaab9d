'use strict';

// The JavaScript types of every argument, checked before any C call
// (TypeError, RangeError), and the strings as the C ABI takes them. The
// values themselves are the core's to judge.

const { invalidArgument } = require('./errors.cjs');

const U32_MAX = 0xffff_ffff;

function typeError(message) {
  const e = new TypeError(message);
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}

function rangeError(message) {
  const e = new RangeError(message);
  e.code = 'ERR_OUT_OF_RANGE';
  return e;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `type ${typeof value}`;
}

function checkString(value, what) {
  if (typeof value !== 'string') throw typeError(`${what} must be a string, got ${describe(value)}`);
}

function checkBoolean(value, what) {
  if (typeof value !== 'boolean') throw typeError(`${what} must be a boolean, got ${describe(value)}`);
}

function checkFunction(value, what) {
  if (typeof value !== 'function') throw typeError(`${what} must be a function, got ${describe(value)}`);
}

function checkSignal(value, what) {
  if (!(value instanceof AbortSignal)) throw typeError(`${what} must be an AbortSignal, got ${describe(value)}`);
}

/** An object of options: not null, not an array. */
function checkObject(value, what) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError(`${what} must be an object, got ${describe(value)}`);
  }
}

/** A whole number of milliseconds (or a count) from `min` that C can hold. */
function checkInteger(value, what, max, min = 0) {
  if (typeof value !== 'number') throw typeError(`${what} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw rangeError(`${what} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

const OPTION_TYPES = {
  appKey: 'string',
  masterSecret: 'string',
  region: 'string',
  baseUrl: 'string',
  timeout: 'ms',
  connectTimeout: 'ms',
  maxRetries: 'u32',
  backoffBase: 'ms',
  backoffMax: 'ms',
  maxRetryAfter: 'ms',
  userAgent: 'string',
  proxy: 'string',
  caFile: 'string',
  allowInsecureHttp: 'boolean',
};

/**
 * Checks the JavaScript types of the constructor's options (values are the
 * core's); `credentials` says whether appKey and masterSecret must be there
 * (the constructor) or must not (fromEnv, which takes them from the
 * environment).
 */
function checkOptions(options, credentials) {
  checkObject(options, 'options');
  for (const key of Object.keys(options)) {
    const kind = OPTION_TYPES[key];
    const value = options[key];
    if (kind === undefined) {
      throw typeError(`options.${key} is not an option; the options are ${Object.keys(OPTION_TYPES).join(', ')}`);
    }
    if (value === undefined) continue;
    const what = `options.${key}`;
    if (kind === 'string') checkString(value, what);
    else if (kind === 'boolean') checkBoolean(value, what);
    else checkInteger(value, what, kind === 'u32' ? U32_MAX : Number.MAX_SAFE_INTEGER);
  }
  if (credentials) {
    checkString(options.appKey, 'options.appKey');
    checkString(options.masterSecret, 'options.masterSecret');
  } else {
    for (const key of ['appKey', 'masterSecret']) {
      if (options[key] !== undefined) {
        throw typeError(
          `options.${key} cannot be given to fromEnv, which reads it from the environment; use new Client({ appKey, masterSecret, ... })`,
        );
      }
    }
  }
  if ((options.backoffBase === undefined) !== (options.backoffMax === undefined)) {
    throw typeError('options.backoffBase and options.backoffMax must be given together');
  }
}

/** The per-call options every call takes, each with its type check. */
const CALL_OPTIONS = {
  signal: checkSignal,
  timeout: (value, what) => checkInteger(value, what, Number.MAX_SAFE_INTEGER),
};

/** getAlias's options: those of every call, and the platforms to look on. */
const ALIAS_OPTIONS = {
  ...CALL_OPTIONS,
  platforms: (value, what) => {
    if (!Array.isArray(value)) throw typeError(`${what} must be an array of strings, got ${describe(value)}`);
    for (let i = 0; i < value.length; i++) checkString(value[i], `${what}[${i}]`);
  },
};

/** check's options: those of every call, and a known device to GET. */
const CHECK_OPTIONS = {
  ...CALL_OPTIONS,
  device: checkString,
};

/**
 * deleteDevices' and eraseUsers' options. The C ABI reads a number of 0 as
 * "the default": an explicit 0 is refused, as the other languages refuse it.
 */
const BULK_OPTIONS = {
  qps: (value, what) => checkInteger(value, what, U32_MAX, 1),
  concurrency: (value, what) => checkInteger(value, what, U32_MAX, 1),
  maxDeletions: (value, what) => checkInteger(value, what, Number.MAX_SAFE_INTEGER, 1),
  stallTimeout: (value, what) => checkInteger(value, what, Number.MAX_SAFE_INTEGER, 1),
  dryRun: checkBoolean,
  journal: checkString,
  backup: checkString,
  report: checkString,
  onProgress: checkFunction,
  confirm: checkFunction,
  onResolved: checkFunction,
  signal: checkSignal,
};

/**
 * Checks the JavaScript types of a call's options against `checks` (the
 * keys the call takes); returns them, {} when none were given.
 */
function checkCallOptions(options, checks) {
  if (options === undefined) return {};
  checkObject(options, 'options');
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(checks, key)) {
      throw typeError(`options.${key} is not an option; the options are ${Object.keys(checks).join(', ')}`);
    }
    if (options[key] !== undefined) checks[key](options[key], `options.${key}`);
  }
  return options;
}

/**
 * The string itself, refused when UTF-8 with a NUL end cannot carry it
 * unchanged: a NUL would cut it short, a lone surrogate would arrive as
 * U+FFFD.
 */
function cString(value, what) {
  if (value.includes('\0')) throw invalidArgument(`${what} contains a NUL character`);
  if (!value.isWellFormed()) throw invalidArgument(`${what} is not valid Unicode: it holds a lone surrogate`);
  return value;
}

/**
 * The platforms as el_get_alias takes them: an array of names (koffi passes
 * it as `const char **`) and its length, or null and 0 (every platform) for
 * none. Each name is refused only where cString refuses a string; every
 * other check of a name is the core's.
 */
function platformList(platforms) {
  if (platforms === undefined || platforms.length === 0) return [null, 0];
  for (let i = 0; i < platforms.length; i++) cString(platforms[i], `platforms[${i}]`);
  return [platforms, platforms.length];
}

module.exports = {
  typeError,
  describe,
  checkString,
  checkObject,
  checkOptions,
  checkCallOptions,
  CALL_OPTIONS,
  ALIAS_OPTIONS,
  CHECK_OPTIONS,
  BULK_OPTIONS,
  cString,
  platformList,
};
