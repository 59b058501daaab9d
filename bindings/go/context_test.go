package engagelab

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// slowAnswer is a success the mock sends only after 3 s.
var slowAnswer = []map[string]any{{"status": 200, "body": `{"success":true}`, "delay_ms": 3000}}

// A context that is already done sends nothing, and fails as in every
// language: KindCancelled wrapping context.Canceled, KindTimeout wrapping
// context.DeadlineExceeded, each with no attempt; a bad id is still
// KindInvalidArgument.
func TestContextAlreadyDone(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "dev-done")
	c := newMockClient(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	for _, tc := range []struct {
		ctx   context.Context
		kind  Kind
		cause error
	}{{ctx, KindCancelled, context.Canceled}, {expired, KindTimeout, context.DeadlineExceeded}} {
		err := c.DeleteDevice(tc.ctx, "dev-done")
		var e *Error
		if !errors.As(err, &e) || e.Kind != tc.kind || e.Attempts != 0 || e.MaybeDeleted || !errors.Is(err, tc.cause) {
			t.Errorf("done ctx: got %#v, want %v wrapping %v with no attempt", err, tc.kind, tc.cause)
		}
		wantInvalid(t, c.DeleteDevice(tc.ctx, strings.Repeat("a", 257)), "257")
	}
	if log := m.log(t); len(log) != 0 {
		t.Errorf("a done ctx sent %+v", log)
	}
}

// passedDeadline is a context whose deadline has passed but which is not yet
// done: the moment between a deadline and its timer, held still.
type passedDeadline struct{ context.Context }

func (passedDeadline) Deadline() (time.Time, bool) { return time.Now().Add(-time.Millisecond), true }

// A deadline with no time left is passed to the core as a per-call timeout
// of 0 (has_timeout), and the core decides what that means: KindTimeout,
// no attempt, nothing sent.
func TestNoTimeLeftIsTheCoresTimeout(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "dev-zero")
	c := newMockClient(t, m)
	ctx := passedDeadline{context.Background()}
	err := c.DeleteDevice(ctx, "dev-zero")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTimeout || e.Attempts != 0 || e.MaybeDeleted {
		t.Fatalf("got %#v, want KindTimeout with no attempt", err)
	}
	if _, err := c.Check(ctx, ""); !errors.Is(err, ErrTimeout) {
		t.Errorf("Check: got %v, want KindTimeout", err)
	}
	if log := m.log(t); len(log) != 0 {
		t.Errorf("a zero timeout sent %+v", log)
	}
	kept := false
	for _, id := range m.devices(t) {
		kept = kept || id == "dev-zero"
	}
	if !kept {
		t.Errorf("dev-zero was deleted: %v", m.devices(t))
	}
}

// Cancelling ctx mid-call, while the server has not answered, returns at
// once rather than with the answer: an *Error of KindCancelled that wraps context.Canceled and says the
// device may have been deleted (the request was written).
func TestCancelMidCall(t *testing.T) {
	m := fresh(t)
	m.script(t, "dev-cancel", slowAnswer)
	c := newMockClient(t, m, WithMaxRetries(0))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	go func() {
		m.awaitRequests(t, 1) // the request is on the wire
		cancelled <- time.Now()
		cancel()
	}()
	started := time.Now()
	err := c.DeleteDevice(ctx, "dev-cancel")
	returned := time.Now()
	cancelledAt := <-cancelled
	// The answer comes 3 s after the request: a call that returns well
	// before that was stopped by the cancel, on however busy a machine.
	// (How fast is a figure of the benchmarks, not of a test.)
	if took := returned.Sub(cancelledAt); took > time.Second {
		t.Errorf("returned %v after the cancel (%v after the start); the answer was due 3 s after the request",
			took, returned.Sub(started))
	}
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindCancelled {
		t.Fatalf("want an *Error of KindCancelled, got %#v", err)
	}
	if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCancelled) {
		t.Errorf("errors.Is(err, context.Canceled) and ErrCancelled must both hold: %v", err)
	}
	if !e.MaybeDeleted || e.Attempts != 1 {
		t.Errorf("maybe_deleted %v, attempts %d: the request was written", e.MaybeDeleted, e.Attempts)
	}
	if log := m.log(t); len(log) != 1 {
		t.Errorf("%d requests, want 1", len(log))
	}
}

// A ctx deadline earlier than the client's timeout bounds the call: it
// reports KindTimeout, wrapping context.DeadlineExceeded.
func TestContextDeadlineBoundsTheCall(t *testing.T) {
	m := fresh(t)
	m.script(t, "dev-deadline", slowAnswer)
	c := newMockClient(t, m, WithTimeout(30*time.Second), WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	started := time.Now()
	err := c.DeleteDevice(ctx, "dev-deadline")
	took := time.Since(started)
	if took < 250*time.Millisecond || took > 2*time.Second { // the answer was due after 3 s
		t.Errorf("took %v with a 300ms ctx deadline", took)
	}
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTimeout {
		t.Fatalf("want an *Error of KindTimeout, got %#v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrTimeout) {
		t.Errorf("errors.Is(err, context.DeadlineExceeded) and ErrTimeout must both hold: %v", err)
	}
	if !e.MaybeDeleted {
		t.Error("the request was written: maybe_deleted")
	}
}

// The client's timeout still applies when it is earlier than ctx's deadline;
// the error then does not claim the context expired.
func TestClientTimeoutBeatsALaterContextDeadline(t *testing.T) {
	m := fresh(t)
	m.script(t, "dev-client-timeout", slowAnswer)
	c := newMockClient(t, m, WithTimeout(300*time.Millisecond), WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	started := time.Now()
	err := c.DeleteDevice(ctx, "dev-client-timeout")
	if took := time.Since(started); took > 2*time.Second { // the answer was due after 3 s
		t.Errorf("took %v with a 300ms client timeout", took)
	}
	if !errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want KindTimeout without the context's error, got %#v", err)
	}
}
