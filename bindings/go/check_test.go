package engagelab

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Check reports the default mock's answers as assumed, names a difference
// (unknown ids answered 404), refuses a bad device id before sending, and
// never sends anything but GETs.
func TestCheck(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "go-check")
	c := newMockClient(t, m)
	ctx := context.Background()

	r, err := c.Check(ctx, "go-check")
	if err != nil {
		t.Fatal(err)
	}
	if !r.CredentialsAccepted || r.BaseURL != m.URL || r.TLSVersion != nil || len(r.Findings) != 0 {
		t.Errorf("unexpected report: %+v", r)
	}
	if len(r.Probes) != 3 || r.Probes[0].HTTPStatus != 400 || r.Probes[0].APICode == nil || *r.Probes[0].APICode != 27002 {
		t.Errorf("unexpected probes: %+v", r.Probes)
	}

	m.config(t, map[string]any{"unknown_device": map[string]any{"status": 404, "body": ""}})
	r, err = c.Check(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 || r.Findings[0].Code != "unknown_device_answer" {
		t.Errorf("unexpected findings: %+v", r.Findings)
	}
	for _, req := range m.log(t) {
		if req.Method != "GET" {
			t.Errorf("check sent %s %s", req.Method, req.Path)
		}
	}

	m.reset(t)
	var e *Error
	if _, err := c.Check(ctx, "a b"); !errors.As(err, &e) || e.Kind != KindInvalidArgument {
		t.Errorf("a bad device id: %v", err)
	}
	if n := len(m.log(t)); n != 0 {
		t.Errorf("%d requests sent for a bad device id", n)
	}
}

// ctx's deadline bounds the whole check, not each of its requests: with
// 300 ms per answer and 500 ms left, Check stops at the deadline with
// KindTimeout wrapping context.DeadlineExceeded, as DeleteDevice would.
func TestCheckStopsAtTheContextDeadline(t *testing.T) {
	m := fresh(t)
	m.config(t, map[string]any{"latency_ms": 300})
	t.Cleanup(func() { m.reset(t) })
	c := newMockClient(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, err := c.Check(ctx, "")
	elapsed := time.Since(start)
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Check past its ctx's deadline: %+v, %v", r, err)
	}
	if elapsed > 1200*time.Millisecond {
		t.Errorf("Check took %v with a 500 ms ctx", elapsed)
	}
}
