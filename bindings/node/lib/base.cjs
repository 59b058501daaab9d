'use strict';

// EngageLabError, the base of every error class. The subclasses, one per
// category of the error model, are generated into errors.gen.cjs from
// spec/error-model.toml; the category itself is decided by the Rust core and
// arrives here as a C status code, and the message is the core's sentence
// (el_error_describe).

const inspect = Symbol.for('nodejs.util.inspect.custom');

class EngageLabError extends Error {
  /**
   * @param {string} message the sentence shown to a person: the core's, from
   *   el_error_describe
   * @param {object} [fields] the error model's fields
   */
  constructor(message, fields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    const status = fields.status ?? new.target.STATUS ?? 'INTERNAL';
    Object.defineProperties(this, {
      status: { value: status, enumerable: true },
      httpStatus: { value: fields.httpStatus ?? null, enumerable: true },
      apiCode: { value: fields.apiCode ?? null, enumerable: true },
      attempts: { value: fields.attempts ?? 0, enumerable: true },
      retryAfter: { value: fields.retryAfter ?? null, enumerable: true },
      maybeDeleted: { value: fields.maybeDeleted ?? false, enumerable: true },
      detail: { value: fields.detail ?? message, enumerable: true },
    });
  }

  /** Used by errors.gen.cjs: names a generated class after its category. */
  static defineCategory(c) {
    const cls = c.ErrorClass;
    Object.defineProperty(cls, 'STATUS', { value: c.status, enumerable: true });
    Object.defineProperty(cls, 'CODE', { value: c.code, enumerable: true });
    Object.defineProperty(cls.prototype, 'name', {
      value: cls.name,
      writable: true,
      configurable: true,
    });
  }

  /** The fields, and `bulkError` and `summary` when set (a bulk run's). */
  toJSON() {
    const json = {
      name: this.name,
      status: this.status,
      message: this.message,
      detail: this.detail,
      httpStatus: this.httpStatus,
      apiCode: this.apiCode,
      attempts: this.attempts,
      retryAfter: this.retryAfter,
      maybeDeleted: this.maybeDeleted,
    };
    if (this.bulkError !== undefined) json.bulkError = this.bulkError;
    if (this.summary !== undefined) json.summary = this.summary;
    return json;
  }

  [inspect](depth, options, inspectFn) {
    const fields = {
      status: this.status,
      httpStatus: this.httpStatus,
      apiCode: this.apiCode,
      attempts: this.attempts,
      retryAfter: this.retryAfter,
      maybeDeleted: this.maybeDeleted,
    };
    if (this.cause !== undefined) fields.cause = this.cause;
    // A bulk run's: why the engine refused or stopped it, and what it did.
    if (this.bulkError !== undefined) fields.bulkError = this.bulkError;
    if (this.summary !== undefined) fields.summary = this.summary;
    const body = (inspectFn ?? ((v) => JSON.stringify(v)))(fields, { ...options, depth: 1 });
    return `${this.stack}\n${body}`;
  }
}

Object.defineProperty(EngageLabError.prototype, 'name', {
  value: 'EngageLabError',
  writable: true,
  configurable: true,
});

module.exports = { EngageLabError };
