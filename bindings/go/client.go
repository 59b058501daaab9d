package engagelab

/*
#include <stdlib.h>
#include <engagelab_push.h>
*/
import "C"

import (
	"context"
	"encoding/json"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Client calls EngageLab's Push REST API. It holds a pool of connections and
// the settings it was built with.
//
// A Client is safe for concurrent use by many goroutines; calls share its
// connection pool. Close it when done: Close waits for running calls, frees
// the native client and is idempotent; a call made once Close has begun
// fails at once (KindInvalidArgument, "the client is closed"). A Client that
// is never closed is freed by a finalizer once it is unreachable.
type Client struct {
	mu      sync.Mutex // held only briefly: no call ever waits on Close
	idle    sync.Cond  // signalled when the last running call ends; L is &mu
	ptr     *C.el_client
	running int  // calls using ptr
	closing bool // Close has begun: no new call starts
	// what String shows: the core's description (el_client_describe),
	// never the Master Secret.
	description string
	// the client's overall timeout (el_client_timeout_ms): it also bounds a
	// call's wait for a slot among the calls in flight (MaxInFlight).
	timeout time.Duration
}

// Option changes one setting of NewClient or NewClientFromEnv. Every setting
// is checked by the core when the client is built; a bad one makes NewClient
// return an *Error of KindInvalidArgument naming it.
type Option func(*settings)

type settings struct {
	region, baseURL, userAgent, proxy, caFile *string
	timeout, connectTimeout, maxRetryAfter    *time.Duration
	backoffBase, backoffMax                   *time.Duration
	maxRetries                                *int
	allowInsecureHTTP                         *bool
}

// WithRegion selects EngageLab's data center by its short name, one of
// [Regions] (default [DefaultRegion]), ignoring case. A base URL, if set,
// overrides it.
func WithRegion(region string) Option { return func(s *settings) { s.region = &region } }

// WithBaseURL sets a custom base URL (a proxy, a legacy host, a test server),
// e.g. "https://push.api.engagelab.cc"; it overrides the region. Plain
// http:// is accepted only to loopback (through a proxy, only one on
// loopback) unless WithAllowInsecureHTTP(true).
func WithBaseURL(url string) Option { return func(s *settings) { s.baseURL = &url } }

// WithTimeout sets the overall deadline of one call, retries and waits
// included (default [DefaultTimeout]). A context deadline that comes earlier wins.
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = &d } }

// WithConnectTimeout sets the longest wait for one connection to be set up,
// TLS included (default [DefaultConnectTimeout]).
func WithConnectTimeout(d time.Duration) Option {
	return func(s *settings) { s.connectTimeout = &d }
}

// WithMaxRetries sets how many times a transient failure (rate limiting,
// server errors, some connection failures and timeouts) is retried after the
// first attempt (default [DefaultMaxRetries]); 0 turns retries off.
func WithMaxRetries(n int) Option { return func(s *settings) { s.maxRetries = &n } }

// WithBackoff sets the wait before the first retry (base), doubled for each
// later one up to max, each wait drawn at random below it (defaults
// [DefaultBackoffBase] and [DefaultBackoffMax]).
func WithBackoff(base, max time.Duration) Option {
	return func(s *settings) { s.backoffBase, s.backoffMax = &base, &max }
}

// WithMaxRetryAfter sets the longest server hint (Retry-After,
// X-Rate-Limit-Reset) waited for as given; longer hints are cut to it
// (default [DefaultMaxRetryAfter]). Waits never pass the call's deadline.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(s *settings) { s.maxRetryAfter = &d }
}

// WithUserAgent sets the User-Agent header (default engagelab-push/VERSION).
func WithUserAgent(ua string) Option { return func(s *settings) { s.userAgent = &ua } }

// WithProxy sends the requests through a proxy (http:// or https://, SOCKS
// refused; user info allowed and never shown in messages). Without it no
// proxy is used: HTTP_PROXY, HTTPS_PROXY and ALL_PROXY are deliberately
// ignored.
func WithProxy(url string) Option { return func(s *settings) { s.proxy = &url } }

// WithCAFile trusts the extra root certificates of a PEM file beside the
// built-in Mozilla roots (a corporate proxy's CA, a test server's CA).
func WithCAFile(path string) Option { return func(s *settings) { s.caFile = &path } }

// WithAllowInsecureHTTP allows plain http:// base URLs to hosts that are not
// loopback (default false). Credentials then travel unencrypted.
func WithAllowInsecureHTTP(allow bool) Option {
	return func(s *settings) { s.allowInsecureHTTP = &allow }
}

// NewClient builds a client for the app with this AppKey and Master Secret.
// The core checks every setting; a bad one gives an *Error of
// KindInvalidArgument that names it (and never shows the secret).
func NewClient(appKey, masterSecret string, opts ...Option) (*Client, error) {
	var s settings
	for _, opt := range opts {
		if opt != nil {
			opt(&s)
		}
	}
	return build(appKey, masterSecret, &s)
}

// NewClientFromEnv builds a client from the environment with the core's
// rules and messages (el_config_from_env, the Rust core's
// ClientBuilder::from_env): ENGAGELAB_APP_KEY and ENGAGELAB_MASTER_SECRET,
// and optionally ENGAGELAB_REGION or ENGAGELAB_BASE_URL (not both), with the
// core's rule for empty variables. Options given here apply on top. Do not call it
// while another goroutine changes the environment.
func NewClientFromEnv(opts ...Option) (*Client, error) {
	var s settings
	for _, opt := range opts {
		if opt != nil {
			opt(&s)
		}
	}
	e := newError()
	var config *C.el_config
	if st := C.el_config_from_env(&config, &e); st != C.EL_OK {
		return nil, fromC(st, &e)
	}
	defer C.el_config_free(config)
	return configure(config, &s)
}

// invalidArgument is the error for what Go can express and C cannot carry
// (a NUL inside a string, a negative duration, a nil context): nothing is
// sent.
func invalidArgument(message string) *Error {
	return &Error{Kind: KindInvalidArgument, Message: message}
}

// refuseNUL is the error for a string s named name that holds a NUL byte (C
// would cut the string there), or nil when it holds none.
func refuseNUL(name, s string) *Error {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return invalidArgument(name + " contains a NUL byte at byte " + strconv.Itoa(i))
	}
	return nil
}

// cString copies s into C memory, refusing a NUL inside it. The caller frees
// the result.
func cString(name, s string) (*C.char, *Error) {
	if bad := refuseNUL(name, s); bad != nil {
		return nil, bad
	}
	return C.CString(s), nil
}

// millis converts a duration setting to the C ABI's milliseconds, rounding
// up so that a positive duration never becomes 0.
func millis(name string, d time.Duration) (C.uint64_t, *Error) {
	if d < 0 {
		return 0, invalidArgument(name + " is negative: " + d.String())
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++ // rounded up without adding to d, which could overflow
	}
	return C.uint64_t(ms), nil
}

// fromC maps a failed call's el_error to an *Error, its text the core's
// sentence for that record. Only the fields within the size the library was
// given are read, and the status is the function's return value, which a
// library never leaves unset.
func fromC(status C.el_status, e *C.el_error) *Error {
	return &Error{
		text:         describe(e),
		Kind:         Kind(status),
		HTTPStatus:   int(e.http_status),
		APICode:      int64(e.api_code),
		Message:      C.GoString(&e.message[0]),
		Attempts:     int(e.attempts),
		RetryAfter:   time.Duration(e.retry_after_ms) * time.Millisecond,
		MaybeDeleted: bool(e.maybe_deleted),
	}
}

func newError() C.el_error {
	var e C.el_error
	e.size = C.sizeof_el_error
	return e
}

func build(appKey, masterSecret string, s *settings) (*Client, error) {
	cKey, bad := cString("app_key", appKey)
	if bad != nil {
		return nil, bad
	}
	defer C.free(unsafe.Pointer(cKey))
	cSecret, bad := cString("master_secret", masterSecret)
	if bad != nil {
		return nil, bad
	}
	defer C.free(unsafe.Pointer(cSecret))

	e := newError()
	var config *C.el_config
	if st := C.el_config_new(cKey, cSecret, &config, &e); st != C.EL_OK {
		return nil, fromC(st, &e)
	}
	defer C.el_config_free(config)
	return configure(config, s)
}

// configure applies the settings s to config and builds the client. The
// caller frees config.
func configure(config *C.el_config, s *settings) (*Client, error) {
	e := newError()

	setString := func(name string, value *string, set func(*C.char) C.el_status) *Error {
		if value == nil {
			return nil
		}
		c, bad := cString(name, *value)
		if bad != nil {
			return bad
		}
		defer C.free(unsafe.Pointer(c))
		if st := set(c); st != C.EL_OK {
			return fromC(st, &e)
		}
		return nil
	}
	setMillis := func(name string, value *time.Duration, set func(C.uint64_t) C.el_status) *Error {
		if value == nil {
			return nil
		}
		ms, bad := millis(name, *value)
		if bad != nil {
			return bad
		}
		if st := set(ms); st != C.EL_OK {
			return fromC(st, &e)
		}
		return nil
	}
	steps := []func() *Error{
		func() *Error {
			return setString("region", s.region, func(c *C.char) C.el_status {
				return C.el_config_set_region(config, c, &e)
			})
		},
		func() *Error {
			return setString("base_url", s.baseURL, func(c *C.char) C.el_status {
				return C.el_config_set_base_url(config, c, &e)
			})
		},
		func() *Error {
			return setString("user_agent", s.userAgent, func(c *C.char) C.el_status {
				return C.el_config_set_user_agent(config, c, &e)
			})
		},
		func() *Error {
			return setString("proxy", s.proxy, func(c *C.char) C.el_status {
				return C.el_config_set_proxy(config, c, &e)
			})
		},
		func() *Error {
			return setString("ca_file", s.caFile, func(c *C.char) C.el_status {
				return C.el_config_set_ca_file(config, c, &e)
			})
		},
		func() *Error {
			return setMillis("timeout", s.timeout, func(ms C.uint64_t) C.el_status {
				return C.el_config_set_timeout_ms(config, ms, &e)
			})
		},
		func() *Error {
			return setMillis("connect_timeout", s.connectTimeout, func(ms C.uint64_t) C.el_status {
				return C.el_config_set_connect_timeout_ms(config, ms, &e)
			})
		},
		func() *Error {
			return setMillis("max_retry_after", s.maxRetryAfter, func(ms C.uint64_t) C.el_status {
				return C.el_config_set_max_retry_after_ms(config, ms, &e)
			})
		},
		func() *Error {
			if s.backoffBase == nil {
				return nil
			}
			base, bad := millis("backoff base", *s.backoffBase)
			if bad != nil {
				return bad
			}
			max, bad := millis("backoff max", *s.backoffMax)
			if bad != nil {
				return bad
			}
			if st := C.el_config_set_backoff_ms(config, base, max, &e); st != C.EL_OK {
				return fromC(st, &e)
			}
			return nil
		},
		func() *Error {
			if s.maxRetries == nil {
				return nil
			}
			n := *s.maxRetries
			if n < 0 || uint64(n) > math.MaxUint32 {
				return invalidArgument("max_retries is out of range: " + strconv.Itoa(n))
			}
			if st := C.el_config_set_max_retries(config, C.uint32_t(n), &e); st != C.EL_OK {
				return fromC(st, &e)
			}
			return nil
		},
		func() *Error {
			if s.allowInsecureHTTP == nil {
				return nil
			}
			if st := C.el_config_set_allow_insecure_http(config, C.bool(*s.allowInsecureHTTP), &e); st != C.EL_OK {
				return fromC(st, &e)
			}
			return nil
		},
	}
	for _, step := range steps {
		if bad := step(); bad != nil {
			return nil, bad
		}
	}

	var ptr *C.el_client
	if st := C.el_client_new(config, &ptr, &e); st != C.EL_OK {
		return nil, fromC(st, &e)
	}
	// The settings never change once built: the description is read once.
	c := &Client{ptr: ptr, description: describeClient(ptr),
		timeout: time.Duration(C.el_client_timeout_ms(ptr)) * time.Millisecond}
	c.idle.L = &c.mu
	runtime.SetFinalizer(c, finalize)
	return c, nil
}

// finalized counts the clients freed by their finalizer (read by the tests).
var finalized atomic.Int64

// finalize frees a client that became unreachable without Close. No call can
// be running: a call keeps its client reachable until it returns.
func finalize(c *Client) {
	c.free()
	finalized.Add(1)
}

// errClosed is the error of a call on a client Close has begun on.
func errClosed() *Error { return invalidArgument("the client is closed") }

// start counts a call as running and returns the native client, or nil when
// Close has begun; end undoes it. Neither waits on Close.
func (c *Client) start() *C.el_client {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing || c.ptr == nil {
		return nil
	}
	c.running++
	return c.ptr
}

func (c *Client) end() {
	c.mu.Lock()
	c.running--
	if c.running == 0 {
		c.idle.Broadcast()
	}
	c.mu.Unlock()
}

// free releases the native client; callers hold no lock (the finalizer) or
// the write lock (Close).
func (c *Client) free() {
	if c.ptr != nil {
		C.el_client_free(c.ptr)
		c.ptr = nil
	}
}

// Close frees the client's connections and native memory, after waiting for
// the calls still running. It is idempotent and always returns nil; calls
// made once it has begun, while it waits included, fail at once with
// KindInvalidArgument ("the client is closed").
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closing = true
	for c.running > 0 {
		c.idle.Wait()
	}
	c.free()
	runtime.SetFinalizer(c, nil)
	return nil
}

// String describes the client with the core's own description
// (el_client_describe): its AppKey, region, base URL, timeout, retries and
// whether a proxy is used, never the Master Secret.
func (c *Client) String() string {
	if c == nil {
		return "engagelab.Client(nil)"
	}
	c.mu.Lock()
	closed := c.closing || c.ptr == nil
	c.mu.Unlock()
	s := "engagelab.Client(" + c.description
	if closed {
		s += ", closed"
	}
	return s + ")"
}

// GoString is String, so that %#v shows no more than %v.
func (c *Client) GoString() string { return c.String() }

// DeleteDevice deletes one device (DELETE /v4/devices/{registration_id}):
// its tags, alias, device information and timezone. Irreversible; EngageLab
// completes it asynchronously.
//
// The id is checked by the core before anything is sent and sent as one
// escaped path segment. Transient failures are retried with backoff within
// the call's deadline: the earlier of the client's timeout and ctx's
// deadline. A failure is an *Error; check MaybeDeleted before acting on it.
//
// When ctx is cancelled, before or during the call, the call stops (within
// about 20 ms, mid-request included; nothing is sent if it was cancelled
// before) with an *Error of KindCancelled that also wraps context.Canceled; a
// ctx deadline that has passed gives KindTimeout wrapping
// context.DeadlineExceeded. A bad id is KindInvalidArgument whatever ctx.
func (c *Client) DeleteDevice(ctx context.Context, registrationID string) error {
	return c.invoke(ctx, text{"registration_id", registrationID}, func(client *C.el_client, s *C.char, options *C.el_call_options, e *C.el_error) C.el_status {
		return C.el_delete_device_with(client, s, options, e)
	})
}

// Device is a device as EngageLab reports it: the tags and alias bound to a
// registration id, and the whole answer. GetDevice returns it; it is a plain
// copy, owning no native memory.
type Device struct {
	// RegistrationID is the id that was queried.
	RegistrationID string
	// Tags are the tags bound to the device, in the order EngageLab gave
	// them; empty (never nil) when it has none.
	Tags []string
	// Alias is the alias bound to the device, or nil when it has none (the
	// answer's alias missing or null). An empty alias is a pointer to "", not
	// nil, so the two stay apart.
	Alias *string
	// RawJSON is the whole answer, unknown fields included, exactly as
	// EngageLab sent it (one JSON object, at most 64 KiB): keep it as a backup
	// before deleting the device.
	RawJSON string
}

// Raw decodes RawJSON into a map, numbers as json.Number so that none loses
// precision.
func (d *Device) Raw() (map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(d.RawJSON))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// GetDevice queries one device (GET /v4/devices/{registration_id}): the tags
// and alias bound to it, and the whole answer. Query before deleting: check
// that the id is the one meant, and keep RawJSON as a backup.
//
// The id is checked and sent as DeleteDevice does, and the same errors,
// retries, deadline and context handling apply; reading is safe to repeat, so
// MaybeDeleted is always false. An unknown id is KindNotFound (HTTP 404, or
// EngageLab's HTTP 400 with code 27002); an answer that
// is not a JSON object, or whose tags or alias have the wrong type, is
// KindInvalidResponse.
func (c *Client) GetDevice(ctx context.Context, registrationID string) (*Device, error) {
	var out *C.el_device
	err := c.invoke(ctx, text{"registration_id", registrationID}, func(client *C.el_client, s *C.char, options *C.el_call_options, e *C.el_error) C.el_status {
		return C.el_get_device_with(client, s, options, &out, e)
	})
	if err != nil {
		return nil, err
	}
	defer C.el_device_free(out)
	n := int(C.el_device_tag_count(out))
	d := &Device{
		RegistrationID: C.GoString(C.el_device_registration_id(out)),
		Tags:           make([]string, n),
		RawJSON:        C.GoString(C.el_device_raw_json(out)),
	}
	for i := range n {
		d.Tags[i] = C.GoString(C.el_device_tag(out, C.size_t(i)))
	}
	if alias := C.el_device_alias(out); alias != nil {
		s := C.GoString(alias)
		d.Alias = &s
	}
	return d, nil
}

// text is the string argument of a call: its name in errors, and its value.
type text struct{ name, value string }

// invoke runs one call of the C ABI taking a string (an id or an alias) and
// per-call options, with ctx mapped to them: a deadline to
// options.timeout_ms, a cancellation to a cancel token. call receives the
// text as a C string; one holding a NUL is refused before. It returns nil or
// an *Error.
func (c *Client) invoke(ctx context.Context, arg text,
	call func(client *C.el_client, s *C.char, options *C.el_call_options, e *C.el_error) C.el_status,
) error {
	if ctx == nil {
		return invalidArgument("ctx is nil: pass context.Background() for no deadline")
	}
	// Go memory holding no Go pointers may be passed to C for the call.
	if bad := refuseNUL(arg.name, arg.value); bad != nil {
		return bad
	}
	// A nil client passes NULL, which the core reports (KindInvalidArgument).
	// Close waits for the running calls, so none runs on a freed client; a
	// call starting once Close has begun fails at once.
	var ptr *C.el_client
	if c != nil {
		if ptr = c.start(); ptr == nil {
			return errClosed()
		}
		defer c.end()
	}
	buf := make([]byte, len(arg.value)+1)
	copy(buf, arg.value)
	s := (*C.char)(unsafe.Pointer(&buf[0]))

	// A slot among the calls in flight (MaxInFlight), waited for as a
	// goroutine; without one (ctx done or the client's timeout spent while
	// waiting) the call still goes to the core, which ends it at once with
	// nothing sent, as for a ctx already done.
	start := time.Now()
	waited := false
	if ptr != nil {
		var got bool
		if got, waited = acquire(ctx, start, c.timeout); got {
			defer release()
		}
	}

	options := C.el_call_options{size: C.sizeof_el_call_options}
	if deadline, ok := ctx.Deadline(); ok {
		// The time left, passed as is (has_timeout): what a deadline that
		// has just passed (0) means is the core's to decide.
		left := max(time.Until(deadline), 0)
		ms, _ := millis("deadline", left)
		options.timeout_ms = ms
		options.has_timeout = true
	}
	if waited && c.timeout > 0 {
		// The client's timeout counts from the call's start, its wait for a
		// slot included.
		rest := max(c.timeout-time.Since(start), 0)
		if ms, _ := millis("timeout", rest); !bool(options.has_timeout) || ms < options.timeout_ms {
			options.timeout_ms = ms
			options.has_timeout = true
		}
	}

	var stop func() bool
	var fired chan struct{}
	if ctx.Done() != nil {
		var token *C.el_cancel
		if st := C.el_cancel_new(&token); st != C.EL_OK {
			return &Error{Kind: Kind(st), Message: "could not create a cancel token"}
		}
		defer C.el_cancel_free(token) // runs after the wait below
		options.cancel = token
		if ctx.Err() == context.Canceled {
			// Cancelled already: the core sees it before sending (AfterFunc
			// below would cancel the token only from another goroutine).
			C.el_cancel_cancel(token)
		}
		fired = make(chan struct{})
		stop = context.AfterFunc(ctx, func() {
			defer close(fired)
			// A passed deadline is the core's to report (KindTimeout), from
			// options.timeout_ms.
			if ctx.Err() != context.DeadlineExceeded {
				C.el_cancel_cancel(token)
			}
		})
	}

	e := newError()
	st := call(ptr, s, &options, &e)
	runtime.KeepAlive(buf)
	if stop != nil && !stop() {
		<-fired // the token must outlive every use
	}
	if st == C.EL_OK {
		return nil
	}
	err := fromC(st, &e)
	switch err.Kind {
	case KindCancelled:
		err.cause = ctx.Err()
	case KindTimeout:
		// The core keeps the deadline it was given exactly, so it may report
		// it a moment before ctx's own timer marks ctx done.
		if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
			err.cause = context.DeadlineExceeded
		}
	}
	return err
}

// Version returns the version of the linked engagelab-push library, e.g.
// "0.1.0".
func Version() string { return C.GoString(C.el_version()) }

// statusName is the C library's name for a status code (el_status_name); the
// tests check the generated Kind names against it.
func statusName(code uint32) string { return C.GoString(C.el_status_name(C.uint32_t(code))) }
