'use strict';

// C results as JavaScript errors: the error a failed C call reports, as its
// category's class with the core's sentence (el_error_describe), and the
// INVALID_ARGUMENT the binding reports for what the C ABI cannot carry.

const { C, readError, describeError, localError } = require('./native.cjs');
const { EngageLabError } = require('./base.cjs');
const { CATEGORIES } = require('./errors.gen.cjs');

/** The error class of each C status code. */
const BY_CODE = new Map(CATEGORIES.map((c) => [c.code, c]));
const INVALID_ARGUMENT = CATEGORIES.find((c) => c.status === 'INVALID_ARGUMENT');
const CANCELLED = CATEGORIES.find((c) => c.status === 'CANCELLED');

/**
 * The error a failed C call reports, as its category's class: `record` is the
 * el_error the call filled, and the message is the core's sentence for it.
 */
function toError(code, record, cause) {
  const fields = readError(record);
  const category = BY_CODE.get(code);
  const status = category ? category.status : C.el_status_name(code);
  const f = {
    status,
    detail: fields.message,
    httpStatus: fields.httpStatus === 0 ? null : fields.httpStatus,
    apiCode: fields.apiCode === 0n ? null : Number(fields.apiCode),
    attempts: fields.attempts,
    retryAfter: fields.retryAfterMs === 0 ? null : fields.retryAfterMs,
    maybeDeleted: fields.maybeDeleted,
    cause,
  };
  // A code this binding does not know (a newer library) is still a failure.
  const ErrorClass = category ? category.ErrorClass : EngageLabError;
  const error = new ErrorClass(describeError(record), f);
  if (category === CANCELLED && cause !== undefined) {
    // What Node's own APIs give an aborted call, besides the class.
    Object.defineProperty(error, 'code', { value: 'ABORT_ERR', enumerable: true });
  }
  return error;
}

/**
 * An INVALID_ARGUMENT for what the C ABI's strings cannot carry (the core
 * never sees the string, but describes the error).
 */
function invalidArgument(message) {
  return toError(INVALID_ARGUMENT.code, localError(INVALID_ARGUMENT.code, message));
}

module.exports = { toError, invalidArgument, CANCELLED };
