// Types of engagelab-push (CommonJS and, through index.d.mts, ES modules).

export { EngageLabError, ErrorFields } from './base.cjs';
export * from './errors.gen.cjs';

/** The data centers, by the short names the core accepts (case is ignored). */
export type Region = 'sgp' | 'usva' | 'defra' | 'hk' | 'jpn' | 'bra' | (string & {});

/** Settings of a Client. Times are in milliseconds. The core checks every value. */
export interface ClientOptions {
  /** The app's AppKey. */
  appKey: string;
  /** The app's Master Secret; never shown in any message, inspect output or JSON. */
  masterSecret: string;
  /** The data center (default 'sgp'); a baseUrl, if given, overrides it. */
  region?: Region;
  /** A custom base URL (a proxy, a test server); plain http:// only to loopback unless allowInsecureHttp. */
  baseUrl?: string;
  /** The overall deadline of one call, retries and waits included (default 30000). */
  timeout?: number;
  /** The longest wait for one connection to be set up, TLS included (default 10000). */
  connectTimeout?: number;
  /** Retries of a transient failure after the first attempt (default 2; 0 turns them off). */
  maxRetries?: number;
  /** The backoff before the first retry (default 200); give backoffMax with it. */
  backoffBase?: number;
  /** The longest backoff (default 5000); give backoffBase with it. */
  backoffMax?: number;
  /** The longest server hint (Retry-After) waited for as given (default 10000). */
  maxRetryAfter?: number;
  /** The User-Agent header (default engagelab-push/VERSION). */
  userAgent?: string;
  /** A proxy URL (http://, https://, socks5://); environment proxies are ignored. */
  proxy?: string;
  /** A PEM file of extra root certificates. */
  caFile?: string;
  /** Allow plain http:// base URLs to hosts that are not loopback (default false). */
  allowInsecureHttp?: boolean;
}

/** Per-call options. */
export interface CallOptions {
  /**
   * Cancels the call, mid-request included: the promise rejects with a
   * CancelledError whose `cause` is `signal.reason` and `code` is 'ABORT_ERR'.
   * An already-aborted signal rejects without sending anything.
   */
  signal?: AbortSignal;
  /**
   * A deadline for this call in milliseconds, when earlier than the client's
   * timeout. 0 is passed to the core, which rejects with a TimeoutError
   * (`attempts` 0, nothing sent).
   */
  timeout?: number;
}

/** The platforms EngageLab names exactly so, in lower case; the core refuses any other name. */
export type Platform = 'android' | 'ios' | 'hmos' | (string & {});

/** Options of getAlias: those of every call, and the platforms to look on. */
export interface AliasOptions extends CallOptions {
  /** Only the devices on these platforms (one given twice counts once); absent or empty: every platform. */
  platforms?: readonly Platform[];
}

/** A JSON value, as `raw` holds it (frozen). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A device as EngageLab reports it, from getDevice. Frozen, deeply. */
export interface Device {
  /** The registration id that was queried. */
  readonly registrationId: string;
  /** The tags bound to the device, in EngageLab's order; empty when none. */
  readonly tags: readonly string[];
  /** The alias bound to the device, or null when none ('' is an empty alias). */
  readonly alias: string | null;
  /** The whole answer, unknown fields included, parsed. */
  readonly raw: { readonly [key: string]: JsonValue };
  /** The whole answer exactly as received: keep it as a backup before deleting. */
  readonly rawJson: string;
}

/** Settings of deleteDevices and eraseUsers; an absent number takes the core's default. */
export interface BulkOptions {
  /** Requests per second, GET and DELETE together (default 100). */
  qps?: number;
  /** Most requests in flight (default: qps, between 16 and 512). */
  concurrency?: number;
  /** The guard (default 1000): more distinct ids and nothing is sent. */
  maxDeletions?: number;
  /** Milliseconds the run may stay rate-limited with no id settled before it stops, `stopped` saying why (default five minutes). */
  stallTimeout?: number;
  /** Validate, dedupe and count; send no DELETE. */
  dryRun?: boolean;
  /** The journal that makes the run resumable (created 0600). */
  journal?: string;
  /** The backup: each device (GET) before its DELETE (created 0600). */
  backup?: string;
  /** The report: one JSON line per entry and a summary (created 0600). */
  report?: string;
  /** Called on the event loop at most every 250 ms and once at the end. */
  onProgress?: (progress: BulkProgress) => void;
  /** Called on the event loop once the guard passed, before anything is sent; false ends the run (DECLINED). */
  confirm?: (plan: BulkPlan) => boolean;
  /** eraseUsers only: each alias and its ids, once resolved. */
  onResolved?: (alias: string, registrationIds: string[]) => void;
  /** Aborting it stops the run: nothing more is sent, the summary says interrupted. */
  signal?: AbortSignal;
}

/** What a run is about to do, given to confirm. */
export interface BulkPlan {
  readonly entries: number;
  readonly ids: number;
  readonly dryRun: boolean;
}

/** Where a run stands, given to onProgress. */
export interface BulkProgress {
  readonly done: number;
  readonly total: number;
  readonly deleted: number;
  readonly notFound: number;
  readonly failed: number;
  readonly invalid: number;
  readonly duplicate: number;
  readonly alreadyDone: number;
  readonly wouldDelete: number;
  readonly rateLimited: number;
  /** Milliseconds since the run started sending. */
  readonly elapsed: number;
  readonly inFlight: number;
  readonly qps: number;
  readonly interrupted: boolean;
}

/** What a run did: every field of the core's BulkSummary. Frozen. */
export interface BulkSummary {
  readonly entries: number;
  readonly ids: number;
  readonly deleted: number;
  readonly notFound: number;
  readonly failed: number;
  readonly invalid: number;
  readonly duplicate: number;
  readonly alreadyDone: number;
  readonly wouldDelete: number;
  readonly notStarted: number;
  readonly rateLimited: number;
  /** Milliseconds from the first request to the end. */
  readonly elapsed: number;
  readonly interrupted: boolean;
  readonly dryRun: boolean;
  /** Why the engine stopped the run early, or null. */
  readonly stopped: string | null;
}

/** One alias of an erasure. */
export interface ErasedUser {
  readonly alias: string;
  /** The ids bound before: what the run deleted. */
  readonly registrationIds: readonly string[];
  /** The ids still bound after; null when not checked. */
  readonly stillBound: readonly string[] | null;
  /** Why the second lookup failed, or null. */
  readonly verifyError: Error | null;
}

/** What eraseUsers did. */
export interface Erasure extends BulkSummary {
  readonly users: readonly ErasedUser[];
  /** Every device deleted and (unless a dry run) none still bound. */
  readonly isSuccess: boolean;
}

/** A client of EngageLab's Push REST API. Safe to share; calls run concurrently off the event loop. */
/** Options of check: those of every call, and a known device to GET too. */
export interface CheckOptions extends CallOptions {
  /** A registration id known to exist; it must be found. */
  device?: string;
}

/** One answer of the live API, as it came and as the library reads it. */
export interface CheckProbe {
  readonly kind: 'unknown_device' | 'unknown_alias' | 'device';
  readonly path: string;
  readonly http_status: number;
  readonly api_code: number | null;
  readonly message: string;
  /** The error category the library gives it; null for a usable success. */
  readonly classification: string | null;
  readonly expected: string;
  readonly as_expected: boolean;
  readonly rtt_ms: number;
}

/** What check found: the facts of `engagelab-push check --json`. */
export interface CheckReport {
  readonly base_url: string;
  readonly region: string | null;
  readonly credentials_accepted: boolean;
  readonly address: string | null;
  readonly tls_version: string | null;
  readonly rtt_ms: number;
  readonly rtts_ms: readonly number[];
  readonly server_date: string | null;
  readonly clock_skew_s: number | null;
  readonly rate_limit_headers: { readonly [name: string]: string };
  readonly probes: readonly CheckProbe[];
  /** The differences from what the library assumes. */
  readonly findings: readonly { readonly code: string; readonly message: string }[];
}

export declare class Client {
  /** @throws InvalidArgumentError for a bad setting, TypeError for a wrong option type. */
  constructor(options: ClientOptions);
  /**
   * A client from ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET and optionally
   * ENGAGELAB_REGION or ENGAGELAB_BASE_URL (not both), read with the core's
   * rules; `overrides` adds or replaces the other options.
   * @throws InvalidArgumentError naming a missing or wrong variable or a bad setting, TypeError for a wrong option type or a credential in `overrides`.
   */
  static fromEnv(overrides?: Partial<Omit<ClientOptions, 'appKey' | 'masterSecret'>>): Client;
  /**
   * Deletes one device (DELETE /v4/devices/{registrationId}): its tags, alias,
   * device information and timezone. Irreversible. Resolves on success;
   * rejects with an EngageLabError subclass.
   */
  deleteDevice(registrationId: string, options?: CallOptions): Promise<void>;
  /**
   * Queries one device (GET /v4/devices/{registrationId}): its tags, alias
   * and the whole answer. The same checks, retries, deadline, signal and
   * errors as deleteDevice (`maybeDeleted` is always false); an unknown id is
   * a NotFoundError (HTTP 404, or EngageLab's HTTP 400 with code 27002).
   */
  getDevice(registrationId: string, options?: CallOptions): Promise<Device>;
  /**
   * Resolves an alias (GET /v4/aliases/{alias}), the app's name for its user:
   * the registration ids of the devices bound to it, in EngageLab's order; []
   * when none is. The first step of erasing a user: delete each id, then
   * resolve the alias again. The same checks, retries, deadline, signal and
   * errors as getDevice (`maybeDeleted` is always false); a bad alias or
   * platform is an InvalidArgumentError, with nothing sent.
   */
  getAlias(alias: string, options?: AliasOptions): Promise<string[]>;
  /**
   * Checks the setup with read-only calls (it cannot send a DELETE): the
   * credentials, address, TLS version, round trip, server clock, rate-limit
   * headers and every difference from what the library assumes.
   */
  check(options?: CheckOptions): Promise<CheckReport>;
  /**
   * Deletes many devices through the core's bulk engine: paced, guarded,
   * optionally journaled, backed up and reported; `ids` an array, or
   * `{ path }` for a file of ids, one per line (streamed). The run holds one
   * libuv pool thread; its callbacks run on the event loop. Failed ids and
   * an abort are in the summary; a run refused or stopped by the engine
   * rejects with an EngageLabError whose `bulkError` says why (GUARD,
   * DECLINED, JOURNAL_MISMATCH, IO, JOURNAL_BUSY, WRITE_FAILED,
   * INVALID_ARGUMENT, LOOKUP) and `summary` what was done. A callback that
   * throws cancels the run, and the promise rejects with its exception.
   */
  deleteDevices(ids: readonly string[] | { path: string }, options?: BulkOptions): Promise<BulkSummary>;
  /**
   * Erases users by alias: each alias checked and resolved, every device
   * deleted through one bulk run (the guard counts them all), each alias
   * resolved again. Devices still bound are in `users` (`isSuccess` false).
   */
  eraseUsers(aliases: readonly string[], options?: BulkOptions): Promise<Erasure>;
  /** Refuses new calls and frees the native client once calls in flight end. Idempotent. */
  close(): void;
  /** Whether close() was called. */
  readonly closed: boolean;
  [Symbol.dispose](): void;
  /**
   * The core's description of the client (AppKey, region, base URL, timeout,
   * retries, proxy yes/no; never the Master Secret) and whether it is closed.
   */
  toJSON(): { description: string; closed: boolean };
  /** `Client(<the core's description>)`, with `, closed` once closed. */
  toString(): string;
}

/** The version of the native library loaded, e.g. "0.1.0". */
export declare function nativeVersion(): string;
