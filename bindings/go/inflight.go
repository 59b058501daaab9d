package engagelab

import (
	"context"
	"time"
)

// MaxInFlight is the most calls (DeleteDevice, GetDevice, GetAlias) in
// flight at once in this process, every client together. Each call in
// flight holds an OS thread in C for its whole length (a blocking cgo call),
// and the Go runtime ends a process that passes its thread limit (10,000 by
// default, runtime/debug.SetMaxThreads) with "fatal error: thread
// exhaustion". A call past the bound waits as a goroutine, in no set order.
const MaxInFlight = 1024

// inFlight holds a token per call in flight (a variable: tests make it
// smaller).
var inFlight = make(chan struct{}, MaxInFlight)

// acquire waits for a slot among the calls in flight until ctx is done or
// the client's timeout, counted from start, passes (none when limit is 0).
// It reports whether it got one, and whether it had to wait; without one the caller still makes its
// call, which the core then ends at once, nothing sent: ctx done gives a
// cancelled token or a deadline of 0, the client's timeout passed a
// timeout of 0.
func acquire(ctx context.Context, start time.Time, limit time.Duration) (got, waited bool) {
	select {
	case inFlight <- struct{}{}:
		return true, false
	default:
	}
	var expired <-chan time.Time
	if limit > 0 {
		timer := time.NewTimer(limit - time.Since(start))
		defer timer.Stop()
		expired = timer.C
	}
	select {
	case inFlight <- struct{}{}:
		return true, true
	case <-ctx.Done():
		return false, true
	case <-expired:
		return false, true
	}
}

// release gives back the slot acquire took.
func release() { <-inFlight }
