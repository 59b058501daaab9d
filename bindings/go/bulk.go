package engagelab

/*
#include <stdint.h>
#include <stdlib.h>
#include <engagelab_push.h>

extern void goBulkProgress(void *, el_bulk_progress *);
extern bool goBulkConfirm(void *, el_bulk_plan *);
extern void goBulkResolved(void *, char *, el_id_list *);

// Stores the run's cgo.Handle, an integer, as the callbacks' user data.
static void el_go_bulk_user(el_bulk_options *o, uintptr_t handle) { o->user_data = (void *)handle; }

// Points the options' callbacks at the Go trampolines (bulk_callbacks.go).
static void el_go_bulk_callbacks(el_bulk_options *o, int progress, int confirm, int resolved) {
	if (progress) o->on_progress = (el_bulk_progress_fn)goBulkProgress;
	if (confirm) o->confirm = (el_bulk_confirm_fn)goBulkConfirm;
	if (resolved) o->on_resolved = (el_bulk_resolved_fn)goBulkResolved;
}
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"runtime/cgo"
	"time"
	"unsafe"
)

// BulkOptions are the settings of DeleteDevices, DeleteDevicesFromFile and
// EraseUsers; a zero field takes the core's default.
//
// The callbacks run one at a time, each on a goroutine of its own while the
// calling goroutine waits, before the call returns. A callback that panics
// or calls runtime.Goexit (t.FailNow, t.Fatal, t.Skip) stops the run
// (nothing more is sent), and the panic or the Goexit is raised again on
// the calling goroutine once the run has ended. A callback may call the
// client, but must not Close it: Close waits for the run, which waits for
// the callback.
type BulkOptions struct {
	// QPS is requests per second, GET and DELETE together (0: [DefaultQPS], a
	// fifth of EngageLab's default quota).
	QPS uint32
	// Concurrency is the most requests in flight (0: QPS, between
	// [MinDefaultConcurrency] and [MaxDefaultConcurrency]).
	Concurrency uint32
	// MaxDeletions is the guard (0: [DefaultMaxDeletions]): more distinct ids and nothing is
	// sent.
	MaxDeletions uint64
	// StallTimeout is how long the run may stay rate-limited with no id
	// settled before it stops, BulkSummary.Stopped saying why (0:
	// [DefaultStallTimeout]; rounded up to a millisecond; negative is refused).
	StallTimeout time.Duration
	// DryRun validates, dedupes and counts, and sends no DELETE.
	DryRun bool
	// Journal makes the run resumable (created 0600); "" for none.
	Journal string
	// Backup keeps each device (GET) before its DELETE (0600); "" for none.
	Backup string
	// Report gets one JSON line per entry and a summary (0600); "" for none.
	Report string
	// OnProgress is called at most every [ProgressInterval] and once at the
	// end (not for a run cancelled before it started sending).
	OnProgress func(BulkProgress)
	// Confirm is called with the plan once the guard passed, before anything
	// is sent; false ends the run (BulkDeclined).
	Confirm func(BulkPlan) bool
	// OnResolved (EraseUsers only) is called per alias once resolved.
	OnResolved func(alias string, ids []string)
}

// BulkPlan is what a run is about to do, given to Confirm.
type BulkPlan struct {
	Entries, IDs uint64
	DryRun       bool
}

// BulkProgress is where a run stands, given to OnProgress.
type BulkProgress struct {
	Done, Total, Deleted, NotFound, Failed, Invalid, Duplicate, AlreadyDone, WouldDelete uint64
	RateLimited, InFlight                                                                uint64
	Elapsed                                                                              time.Duration
	QPS                                                                                  float64
	Interrupted                                                                          bool
}

// BulkSummary is what a run did: every field of the core's BulkSummary.
type BulkSummary struct {
	Entries, IDs, Deleted, NotFound, Failed, Invalid, Duplicate, AlreadyDone, WouldDelete uint64
	NotStarted, RateLimited                                                               uint64
	Elapsed                                                                               time.Duration
	// Interrupted says the run was cancelled (ctx) before its end.
	Interrupted bool
	DryRun      bool
	// Stopped says why the engine stopped the run early ("" when it did not).
	Stopped string
}

// IsSuccess says no id failed and the run was neither interrupted nor stopped.
func (s BulkSummary) IsSuccess() bool {
	return s.Failed == 0 && !s.Interrupted && s.Stopped == ""
}

// BulkErrorKind says why a run refused to start or had to stop.
type BulkErrorKind uint32

// The kinds of BulkError (el_bulk_error).
const (
	BulkGuard           BulkErrorKind = C.EL_BULK_GUARD
	BulkDeclined        BulkErrorKind = C.EL_BULK_DECLINED
	BulkJournalMismatch BulkErrorKind = C.EL_BULK_JOURNAL_MISMATCH
	BulkIO              BulkErrorKind = C.EL_BULK_IO
	BulkJournalBusy     BulkErrorKind = C.EL_BULK_JOURNAL_BUSY
	BulkWriteFailed     BulkErrorKind = C.EL_BULK_WRITE_FAILED
	BulkInvalidArgument BulkErrorKind = C.EL_BULK_INVALID_ARGUMENT
	BulkLookup          BulkErrorKind = C.EL_BULK_LOOKUP
)

var bulkKindNames = map[BulkErrorKind]string{
	BulkGuard: "GUARD", BulkDeclined: "DECLINED", BulkJournalMismatch: "JOURNAL_MISMATCH",
	BulkIO: "IO", BulkJournalBusy: "JOURNAL_BUSY", BulkWriteFailed: "WRITE_FAILED",
	BulkInvalidArgument: "INVALID_ARGUMENT", BulkLookup: "LOOKUP",
}

// String is the kind's name, e.g. "GUARD".
func (k BulkErrorKind) String() string {
	if name, ok := bulkKindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("BulkErrorKind(%d)", uint32(k))
}

// BulkError is a run that refused to start (nothing sent) or had to stop
// (BulkWriteFailed: Summary says what was done). errors.As finds the
// *Error behind it (KindInvalidArgument, or a failed lookup's own).
type BulkError struct {
	Kind    BulkErrorKind
	Summary BulkSummary
	Err     *Error
}

func (e *BulkError) Error() string { return e.Err.Error() }

// Unwrap returns the *Error behind the run's failure.
func (e *BulkError) Unwrap() error { return e.Err }

// ErasedUser is one alias of an erasure.
type ErasedUser struct {
	Alias string
	// RegistrationIDs were bound to the alias before: what the run set out
	// to delete, not what it deleted (the summary counts those).
	RegistrationIDs []string
	// StillBound are the ids bound after the deletions; nil when not checked
	// (a dry run, an interrupted or stopped run, a failed lookup: VerifyError).
	StillBound []string
	// VerifyError is why the second lookup failed, if it did.
	VerifyError *Error
}

// Erasure is what EraseUsers did.
type Erasure struct {
	Summary BulkSummary
	Users   []ErasedUser
	// Success: every device deleted and (unless a dry run) none still bound.
	Success bool
}

// bulkRun is one run's options and how a callback ended it: the first
// panic, or a runtime.Goexit (t.FailNow, t.Skip).
type bulkRun struct {
	ctx      context.Context
	opts     *BulkOptions
	token    *C.el_cancel
	panicked any
	exited   bool
}

// guarded runs a callback's body on a goroutine of its own and waits for it.
// Neither a panic nor a runtime.Goexit may unwind through the C library's
// frames: Goexit would abandon them with the run still sending, its worker
// threads reading a stack Go reuses. Either stops the run at once and is
// raised again on the caller's goroutine once the run has ended; so does a
// body that cancels ctx (context.AfterFunc would only do it later, on its
// own goroutine).
func (r *bulkRun) guarded(body func()) {
	if r.panicked != nil || r.exited {
		return // the run is stopping: no callback of the user runs again
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		returned := false
		defer func() {
			if p := recover(); p != nil {
				r.panicked = p
			} else if !returned {
				r.exited = true
			}
			if r.panicked != nil || r.exited || r.ctx.Err() != nil {
				C.el_cancel_cancel(r.token)
			}
		}()
		body()
		returned = true
	}()
	<-done
}

func progressOf(p *C.el_bulk_progress) BulkProgress {
	return BulkProgress{
		Done: uint64(p.done), Total: uint64(p.total), Deleted: uint64(p.deleted),
		NotFound: uint64(p.not_found), Failed: uint64(p.failed), Invalid: uint64(p.invalid),
		Duplicate: uint64(p.duplicate), AlreadyDone: uint64(p.already_done),
		WouldDelete: uint64(p.would_delete), RateLimited: uint64(p.rate_limited),
		InFlight: uint64(p.in_flight), Elapsed: time.Duration(p.elapsed_ms) * time.Millisecond,
		QPS: float64(p.qps), Interrupted: bool(p.interrupted),
	}
}

func summaryOf(s *C.el_bulk_summary) BulkSummary {
	return BulkSummary{
		Entries: uint64(s.entries), IDs: uint64(s.ids), Deleted: uint64(s.deleted),
		NotFound: uint64(s.not_found), Failed: uint64(s.failed), Invalid: uint64(s.invalid),
		Duplicate: uint64(s.duplicate), AlreadyDone: uint64(s.already_done),
		WouldDelete: uint64(s.would_delete), NotStarted: uint64(s.not_started),
		RateLimited: uint64(s.rate_limited), Elapsed: time.Duration(s.elapsed_ms) * time.Millisecond,
		Interrupted: bool(s.interrupted), DryRun: bool(s.dry_run),
		Stopped: C.GoString(&s.stopped[0]),
	}
}

func idsOf(list *C.el_id_list) []string {
	ids := make([]string, int(C.el_id_list_count(list)))
	for i := range ids {
		ids[i] = C.GoString(C.el_id_list_get(list, C.size_t(i)))
	}
	return ids
}

// runBulk runs call with the C options of opts, ctx cancelling the run's
// token; it frees what it allocated and re-raises a callback's panic.
func (c *Client) runBulk(ctx context.Context, opts BulkOptions,
	call func(client *C.el_client, o *C.el_bulk_options, e *C.el_error) C.el_status,
) (C.el_status, *C.el_error, error) {
	if ctx == nil {
		return 0, nil, invalidArgument("ctx is nil: pass context.Background() for no deadline")
	}
	var ptr *C.el_client
	if c != nil {
		if ptr = c.start(); ptr == nil {
			return 0, nil, errClosed()
		}
		defer c.end()
	}
	o := (*C.el_bulk_options)(C.calloc(1, C.sizeof_el_bulk_options))
	defer C.free(unsafe.Pointer(o))
	o.size = C.sizeof_el_bulk_options
	o.qps = C.uint32_t(opts.QPS)
	o.concurrency = C.uint32_t(opts.Concurrency)
	o.max_deletions = C.uint64_t(opts.MaxDeletions)
	o.dry_run = C.bool(opts.DryRun)
	stall, bad := millis("StallTimeout", opts.StallTimeout)
	if bad != nil {
		return 0, nil, bad
	}
	o.stall_timeout_ms = stall
	for _, p := range []struct {
		name, value string
		field       **C.char
	}{{"Journal", opts.Journal, &o.journal}, {"Backup", opts.Backup, &o.backup}, {"Report", opts.Report, &o.report}} {
		if p.value == "" {
			continue
		}
		s, bad := cString(p.name, p.value)
		if bad != nil {
			return 0, nil, bad
		}
		defer C.free(unsafe.Pointer(s))
		*p.field = s
	}
	run := &bulkRun{ctx: ctx, opts: &opts}
	if st := C.el_cancel_new(&run.token); st != C.EL_OK {
		return 0, nil, &Error{Kind: Kind(st), Message: "could not create a cancel token"}
	}
	defer C.el_cancel_free(run.token) // after the AfterFunc is done with it
	o.cancel = run.token
	handle := cgo.NewHandle(run)
	defer handle.Delete()
	// The handle travels as an integer in a C pointer; C never dereferences it.
	C.el_go_bulk_user(o, C.uintptr_t(handle))
	flag := func(b bool) C.int {
		if b {
			return 1
		}
		return 0
	}
	C.el_go_bulk_callbacks(o, flag(opts.OnProgress != nil), flag(opts.Confirm != nil), flag(opts.OnResolved != nil))

	if ctx.Err() != nil {
		// Done already: the core sees it before sending, and returns the
		// interrupted summary every language gets (AfterFunc below would
		// cancel the token only from another goroutine).
		C.el_cancel_cancel(run.token)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		C.el_cancel_cancel(run.token)
	})
	e := (*C.el_error)(C.calloc(1, C.sizeof_el_error))
	e.size = C.sizeof_el_error
	st := call(ptr, o, e)
	runtime.KeepAlive(run)
	if !stop() {
		<-fired
	}
	if run.panicked != nil {
		C.free(unsafe.Pointer(e))
		panic(run.panicked)
	}
	if run.exited {
		C.free(unsafe.Pointer(e))
		runtime.Goexit()
	}
	return st, e, nil
}

// bulkFailure is the error of a failed run: a *BulkError when the run itself
// refused or stopped (summary.error set), else the call's *Error.
func bulkFailure(st C.el_status, e *C.el_error, s *C.el_bulk_summary) error {
	err := fromC(st, e)
	if s.error == C.EL_BULK_OK {
		return err
	}
	return &BulkError{Kind: BulkErrorKind(s.error), Summary: summaryOf(s), Err: err}
}

// DeleteDevices deletes many devices through the core's bulk engine: paced
// under opts.QPS, guarded by opts.MaxDeletions, optionally journaled (a
// rerun resumes), backed up and reported. An entry that is not an id is
// counted invalid, a repeated id duplicate; neither is sent. Failed ids and
// a cancelled ctx are not errors: see the summary (Failed, Interrupted,
// Stopped). A run that refuses to start (the guard, a declined Confirm, a
// journal of other ids or in use, a file that cannot be opened) sends
// nothing and returns a *BulkError; one that cannot write a file mid-run
// stops and returns a *BulkError with the summary.
func (c *Client) DeleteDevices(ctx context.Context, ids []string, opts BulkOptions) (BulkSummary, error) {
	array, free, bad := cStringArray("ids", ids)
	if bad != nil {
		return BulkSummary{}, bad
	}
	defer free()
	s := (*C.el_bulk_summary)(C.calloc(1, C.sizeof_el_bulk_summary))
	defer C.free(unsafe.Pointer(s))
	s.size = C.sizeof_el_bulk_summary
	st, e, err := c.runBulk(ctx, opts, func(client *C.el_client, o *C.el_bulk_options, e *C.el_error) C.el_status {
		return C.el_delete_devices(client, array, C.size_t(len(ids)), o, s, e)
	})
	if err != nil {
		return BulkSummary{}, err
	}
	defer C.free(unsafe.Pointer(e))
	if st != C.EL_OK {
		return summaryOf(s), bulkFailure(st, e, s)
	}
	return summaryOf(s), nil
}

// DeleteDevicesFromFile is DeleteDevices over a file of ids, one per line
// (blank and # lines and trailing "# comments" skipped), streamed: never
// held in memory.
func (c *Client) DeleteDevicesFromFile(ctx context.Context, path string, opts BulkOptions) (BulkSummary, error) {
	file, bad := cString("path", path)
	if bad != nil {
		return BulkSummary{}, bad
	}
	defer C.free(unsafe.Pointer(file))
	s := (*C.el_bulk_summary)(C.calloc(1, C.sizeof_el_bulk_summary))
	defer C.free(unsafe.Pointer(s))
	s.size = C.sizeof_el_bulk_summary
	st, e, err := c.runBulk(ctx, opts, func(client *C.el_client, o *C.el_bulk_options, e *C.el_error) C.el_status {
		return C.el_delete_devices_from_file(client, file, o, s, e)
	})
	if err != nil {
		return BulkSummary{}, err
	}
	defer C.free(unsafe.Pointer(e))
	if st != C.EL_OK {
		return summaryOf(s), bulkFailure(st, e, s)
	}
	return summaryOf(s), nil
}

// EraseUsers erases users by alias, as an erasure request asks: each alias
// is checked and resolved, every device goes through one bulk run (opts;
// the guard counts every alias's ids), then each alias is resolved again:
// Users[i].StillBound lists any device still bound. Devices still bound and
// failed deletions are not errors (Success is false); a refused or stopped
// run is a *BulkError, a failed first lookup one of kind BulkLookup.
func (c *Client) EraseUsers(ctx context.Context, aliases []string, opts BulkOptions) (Erasure, error) {
	array, free, bad := cStringArray("aliases", aliases)
	if bad != nil {
		return Erasure{}, bad
	}
	defer free()
	var out *C.el_erasure
	// Freed however the call ends: runBulk re-raises a callback's panic or
	// Goexit after the core has written the (interrupted) erasure.
	defer func() { C.el_erasure_free(out) }()
	st, e, err := c.runBulk(ctx, opts, func(client *C.el_client, o *C.el_bulk_options, e *C.el_error) C.el_status {
		return C.el_erase_users(client, array, C.size_t(len(aliases)), o, &out, e)
	})
	if err != nil {
		return Erasure{}, err
	}
	defer C.free(unsafe.Pointer(e))
	s := (*C.el_bulk_summary)(C.calloc(1, C.sizeof_el_bulk_summary))
	defer C.free(unsafe.Pointer(s))
	s.size = C.sizeof_el_bulk_summary
	if out != nil {
		C.el_erasure_summary(out, s)
	}
	if st != C.EL_OK {
		return Erasure{Summary: summaryOf(s)}, bulkFailure(st, e, s)
	}
	erasure := Erasure{Summary: summaryOf(s), Success: bool(C.el_erasure_is_success(out))}
	for i := C.size_t(0); i < C.el_erasure_user_count(out); i++ {
		u := ErasedUser{
			Alias:           C.GoString(C.el_erasure_alias(out, i)),
			RegistrationIDs: idsOf(C.el_erasure_registration_ids(out, i)),
		}
		if bound := C.el_erasure_still_bound(out, i); bound != nil {
			u.StillBound = idsOf(bound)
		}
		v := newError()
		if C.el_erasure_verify_error(out, i, &v) {
			u.VerifyError = fromC(C.el_status(v.status), &v)
		}
		erasure.Users = append(erasure.Users, u)
	}
	return erasure, nil
}
