import type { Status } from './errors.gen.cjs';
import type { BulkError, BulkSummary } from './index.cjs';

/** The fields every EngageLabError carries (spec/error-model.md). */
export interface ErrorFields {
  /** The category, e.g. 'NOT_FOUND'; 'UNKNOWN' or a newer name for a code this version does not know. */
  readonly status: Status | (string & {});
  /** The HTTP status of the final attempt's answer; null when no answer arrived. */
  readonly httpStatus: number | null;
  /** EngageLab's `code` from the error body; null when there was none. */
  readonly apiCode: number | null;
  /** How many requests were sent (1 + retries); 0 when rejected before sending. */
  readonly attempts: number;
  /** For RATE_LIMITED, the server's hint in milliseconds; null when there was none. */
  readonly retryAfter: number | null;
  /** Whether an attempt may already have deleted the device although the call failed. */
  readonly maybeDeleted: boolean;
  /**
   * The core's description: EngageLab's message, else a body excerpt, else the
   * local failure. Never holds the Master Secret. `message` is the whole sentence.
   */
  readonly detail: string;
}

/** A failed call; one subclass per category of the error model. */
export declare class EngageLabError extends Error implements ErrorFields {
  /** The category every instance of a subclass reports (undefined on the base class). */
  static readonly STATUS: Status | undefined;
  /** The C status code (el_status) of the category. */
  static readonly CODE: number | undefined;
  readonly status: Status | (string & {});
  readonly httpStatus: number | null;
  readonly apiCode: number | null;
  readonly attempts: number;
  readonly retryAfter: number | null;
  readonly maybeDeleted: boolean;
  readonly detail: string;
  /** For a call cancelled through its AbortSignal: 'ABORT_ERR', as Node's own APIs. */
  readonly code?: string;
  /** For a call cancelled through its AbortSignal: the signal's reason. */
  readonly cause?: unknown;
  /** For a bulk run (deleteDevices, eraseUsers) the engine refused or stopped: why. */
  readonly bulkError?: BulkError;
  /** For a bulk run the engine refused or stopped: what it did. */
  readonly summary?: BulkSummary;
  protected constructor(message: string, fields?: Partial<ErrorFields> & { cause?: unknown });
  /** The fields, and `bulkError` and `summary` when set. */
  toJSON(): ErrorFields & { name: string; message: string; bulkError?: BulkError; summary?: BulkSummary };
}
