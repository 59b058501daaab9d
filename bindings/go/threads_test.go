package engagelab

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every call in flight holds an OS thread for its whole length (a blocking
// cgo call), and the Go runtime ends a process past its thread limit
// (10,000 by default) with "fatal error: thread exhaustion". Calls past
// MaxInFlight wait as goroutines instead.
//
// TestConcurrentCallsDoNotNeedAThreadEach runs, in a child process whose
// thread limit is lowered to 200 and its in-flight bound to 64, 400
// concurrent DeleteDevice calls on one client against a server that accepts
// and never answers (1 s timeout). The calls must fail with KindTimeout, not
// take the process down: before the bound, the child died of thread
// exhaustion (with 500 calls in flight the process ran 505 threads).
func TestConcurrentCallsDoNotNeedAThreadEach(t *testing.T) {
	if os.Getenv("ENGAGELAB_GO_THREADS_CHILD") == "1" {
		concurrentCallsChild(t)
		return
	}
	if testing.Short() {
		t.Skip("a child process with 400 calls of 1 s: run without -short")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentCallsDoNotNeedAThreadEach$", "-test.v")
	cmd.Env = append(os.Environ(), "ENGAGELAB_GO_THREADS_CHILD=1")
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	text := string(out)
	if err != nil || !strings.Contains(text, "all 400 calls timed out") {
		if i := strings.Index(text, "fatal error"); i >= 0 {
			text = text[i:min(len(text), i+200)]
		} else if len(text) > 2000 {
			text = text[len(text)-2000:]
		}
		t.Fatalf("400 concurrent calls with a thread limit of 200: %v\n%s", err, text)
	}
}

func concurrentCallsChild(t *testing.T) {
	const calls = 400
	inFlight = make(chan struct{}, 64) // MaxInFlight, scaled to the lowered limit
	debug.SetMaxThreads(200)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var held []net.Conn // accepted, never answered
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, conn)
			mu.Unlock()
		}
	}()
	c, err := NewClient("k", "s", WithBaseURL("http://"+ln.Addr().String()),
		WithMaxRetries(0), WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.DeleteDevice(context.Background(), "thread-"+strconv.Itoa(i))
		}()
	}
	wg.Wait()
	close(errs)
	timedOut := 0
	for err := range errs {
		var e *Error
		if errors.As(err, &e) && e.Kind == KindTimeout {
			timedOut++
		} else {
			t.Errorf("want KindTimeout, got %v", err)
		}
	}
	if timedOut == calls {
		t.Logf("all %d calls timed out", calls)
	}
}

// fillInFlight takes every slot among the calls in flight until the test
// ends: a call made meanwhile waits for one.
func fillInFlight(t *testing.T) {
	t.Helper()
	for range cap(inFlight) {
		inFlight <- struct{}{}
	}
	t.Cleanup(func() {
		for range cap(inFlight) {
			<-inFlight
		}
	})
}

// A call waiting for a slot (MaxInFlight calls in flight) ends as a call
// with a done ctx does, nothing sent: cancelled, or past ctx's deadline, or
// past the client's own timeout, which counts the wait. Once a slot is
// free, calls go through again.
func TestACallWaitingForASlotEndsByItsContextOrTimeout(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "dev-waiting")
	c := newMockClient(t, m)
	short := newMockClient(t, m, WithTimeout(200*time.Millisecond))
	fillInFlight(t)

	ended := func(f func() error) error {
		t.Helper()
		done := make(chan error, 1)
		go func() { done <- f() }()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("the call waited on past its ctx and its timeout")
			return nil
		}
	}
	want := func(err error, kind Kind, cause error) {
		t.Helper()
		var e *Error
		if !errors.As(err, &e) || e.Kind != kind || e.Attempts != 0 || e.MaybeDeleted ||
			(cause != nil && !errors.Is(err, cause)) {
			t.Errorf("got %#v, want %v with no attempt (cause %v)", err, kind, cause)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	want(ended(func() error { return c.DeleteDevice(ctx, "dev-waiting") }), KindCancelled, context.Canceled)

	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	want(ended(func() error { return c.DeleteDevice(ctx, "dev-waiting") }), KindTimeout, context.DeadlineExceeded)

	want(ended(func() error { _, err := short.GetDevice(context.Background(), "dev-waiting"); return err }),
		KindTimeout, nil)

	if log := m.log(t); len(log) != 0 {
		t.Errorf("a call that never had a slot sent %+v", log)
	}
	<-inFlight // one slot free
	if err := ended(func() error { return c.DeleteDevice(context.Background(), "dev-waiting") }); err != nil {
		t.Errorf("with a slot free: %v", err)
	}
	inFlight <- struct{}{}
}
