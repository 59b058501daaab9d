package engagelab

import "time"

// Kind is the category of a failed call, as the error model defines it
// (spec/error-model.md). The core decides it; the binding only maps the C
// ABI's el_status code to it, by number. A code this version does not know is
// still a failure, with a Kind whose String is "UNKNOWN(n)".
type Kind uint32

// Error is the error every failed call returns. Use errors.As to read its
// fields, or errors.Is with a sentinel (ErrNotFound, ...) to test the
// category:
//
//	var e *engagelab.Error
//	if errors.As(err, &e) && e.MaybeDeleted { ... }
//	if errors.Is(err, engagelab.ErrNotFound) { ... }
//
// A call stopped by its context also wraps the context's error, so
// errors.Is(err, context.Canceled) or errors.Is(err,
// context.DeadlineExceeded) holds as well.
//
// No field and no text of an Error ever holds the Master Secret or the
// Authorization header: the core scrubs them before they reach the binding.
type Error struct {
	// Kind is the category.
	Kind Kind
	// HTTPStatus is the HTTP status of the final attempt's answer; 0 when no
	// answer arrived.
	HTTPStatus int
	// APICode is EngageLab's code from the error body; 0 when there was none.
	APICode int64
	// Message says what went wrong: EngageLab's message, else a short excerpt
	// of the body, else a description of the local failure (naming the
	// argument for KindInvalidArgument).
	Message string
	// Attempts is how many requests were sent (1 + retries); 0 when the call
	// was rejected before sending.
	Attempts int
	// RetryAfter is, for KindRateLimited, the server's hint (Retry-After or
	// X-Rate-Limit-Reset); 0 when there was none.
	RetryAfter time.Duration
	// MaybeDeleted says whether an attempt may already have deleted the device
	// although the call failed (a request was written and its outcome is
	// unknown). Check the device before acting on the failure.
	MaybeDeleted bool

	// cause is the context error when the call's context stopped it.
	cause error
	// text is the core's sentence for the failed call (el_error_describe on
	// the el_error it filled); empty for an Error the core did not report.
	text string
}

// Error returns one sentence a person can act on: "engagelab: " and the
// sentence the Rust core prints for this error. For an error a call returned
// it is the core's text for the very record the call filled; for an Error
// made otherwise (by the binding before calling C, or by hand) the core
// describes its fields.
func (e *Error) Error() string {
	text := e.text
	if text == "" {
		text = describeFields(e)
	}
	return "engagelab: " + text
}

// Is reports whether target is the sentinel of e's Kind, so that
// errors.Is(err, ErrNotFound) tests the category.
func (e *Error) Is(target error) bool {
	s := e.Kind.sentinel()
	return s != nil && target == s
}

// Unwrap returns the context error that stopped the call (context.Canceled or
// context.DeadlineExceeded), or nil.
func (e *Error) Unwrap() error { return e.cause }
