package engagelab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The generated kinds agree with the linked library, code by code: the
// names el_status_name gives, and a status beyond the table is still an
// error with a name.
func TestKindsMatchTheLibrary(t *testing.T) {
	n := 0
	for k := Kind(1); k.sentinel() != nil; k++ {
		if got := statusName(uint32(k)); got != k.String() {
			t.Errorf("code %d: library says %q, Go says %q", k, got, k.String())
		}
		n++
	}
	if n != 11 {
		t.Errorf("%d kinds, want 11 (INVALID_ARGUMENT..CANCELLED)", n)
	}
	next := Kind(n + 1)
	if statusName(uint32(next)) != "UNKNOWN" {
		t.Errorf("the library knows code %d, which Go does not: run `cargo xtask gen`", next)
	}
	if next.String() != fmt.Sprintf("UNKNOWN(%d)", next) {
		t.Errorf("unknown kind shows as %q", next.String())
	}
	if statusName(0) != "OK" {
		t.Errorf("code 0 is %q", statusName(0))
	}
	seen := map[error]bool{}
	for k := Kind(1); k.sentinel() != nil; k++ {
		if seen[k.sentinel()] {
			t.Errorf("%s shares a sentinel", k)
		}
		seen[k.sentinel()] = true
	}
}

func TestErrorIsAsAndText(t *testing.T) {
	var err error = &Error{
		Kind: KindRateLimited, HTTPStatus: 429, APICode: 23008, Message: "too many requests",
		Attempts: 3, RetryAfter: 7 * time.Second, MaybeDeleted: true,
	}
	if !errors.Is(err, ErrRateLimited) || errors.Is(err, ErrServer) {
		t.Error("errors.Is does not follow the kind")
	}
	wrapped := fmt.Errorf("cleanup: %w", err)
	var e *Error
	if !errors.As(wrapped, &e) || e.APICode != 23008 || !errors.Is(wrapped, ErrRateLimited) {
		t.Error("errors.As/Is through a wrapper")
	}
	// The same sentence as the Rust core's Display (el_error_describe of
	// these fields).
	want := "engagelab: EngageLab is rate limiting this AppKey (HTTP 429, code 23008): too many requests, " +
		"after 3 attempts, server asks to wait 7.000s; slow down and retry later; " +
		"an earlier attempt may already have deleted the device"
	if err.Error() != want {
		t.Errorf("Error()\n got %q\nwant %q", err.Error(), want)
	}
	// A category the library does not define: the core's fixed sentence.
	unknown := &Error{Kind: Kind(99), Message: "x"}
	if unknown.Error() != "engagelab: a failure of a category this library does not know" ||
		errors.Is(unknown, ErrInternal) {
		t.Errorf("an unknown kind: %q", unknown.Error())
	}
	cancelled := &Error{Kind: KindCancelled, cause: context.Canceled}
	if !errors.Is(cancelled, context.Canceled) || !errors.Is(cancelled, ErrCancelled) {
		t.Error("a cancelled error wraps the context's error and matches ErrCancelled")
	}
	if !strings.HasPrefix(ErrNotFound.Error(), "engagelab: ") {
		t.Error("sentinel text")
	}
}

// A failed call's text is the core's sentence for the record the call filled
// (el_error_describe), not one the binding composes.
func TestErrorTextIsTheCores(t *testing.T) {
	m := fresh(t)
	c, err := NewClient(testAppKey, testMasterSecret, WithBaseURL(m.URL), WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.DeleteDevice(context.Background(), "no-such-device")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindNotFound {
		t.Fatalf("got %v, want NOT_FOUND (the mock answers 400 with code 27002)", err)
	}
	if e.text == "" || err.Error() != "engagelab: "+e.text {
		t.Errorf("Error() %q is not the described record %q", err.Error(), e.text)
	}
	if want := describeFields(e); e.text != want {
		t.Errorf("the record's text %q differs from el_error_describe's %q", e.text, want)
	}
	if e.text != "EngageLab does not know this registration id or alias (HTTP 400, code 27002): "+
		"unknown error; check it, and that it belongs to this AppKey and data center" {
		t.Errorf("text %q", e.text)
	}
	// A setting the core refuses when the client is built: the same.
	_, err = NewClient(testAppKey, testMasterSecret, WithRegion("mars"))
	if !errors.As(err, &e) || e.text == "" || err.Error() != "engagelab: "+describeFields(e) {
		t.Errorf("a refused setting: %v", err)
	}
}
