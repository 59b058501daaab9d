package engagelab

/*
#include <engagelab_push.h>
*/
import "C"

import (
	"math"
	"time"
	"unicode/utf8"
	"unsafe"
)

// describe returns the core's sentence for a filled el_error
// (el_error_describe), without the "engagelab: " Error adds.
func describe(e *C.el_error) string {
	// The core's sentence fits in 512 bytes; a longer one is asked for again
	// with the length el_error_describe reported.
	buf := make([]byte, 512)
	for {
		n := int(C.el_error_describe(e, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf))))
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, n+1)
	}
}

// describeClient returns the core's description of a live client
// (el_client_describe), with el_error_describe's buffer convention.
func describeClient(c *C.el_client) string {
	buf := make([]byte, 256)
	for {
		n := int(C.el_client_describe(c, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf))))
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, n+1)
	}
}

// describeFields returns the core's sentence for an Error no call filled a
// record for (one the binding or a caller made): its fields laid out as an
// el_error, then described as any other.
func describeFields(e *Error) string {
	r := newError()
	r.status = C.uint32_t(e.Kind)
	r.http_status = C.uint16_t(clamp(int64(e.HTTPStatus), math.MaxUint16))
	r.api_code = C.int64_t(e.APICode)
	r.attempts = C.uint32_t(clamp(int64(e.Attempts), math.MaxUint32))
	r.retry_after_ms = C.uint32_t(clamp(int64(e.RetryAfter/time.Millisecond), math.MaxUint32))
	r.maybe_deleted = C.bool(e.MaybeDeleted)
	// The record holds EL_ERROR_MESSAGE_LEN bytes, the NUL included: cut on a
	// character boundary, as the core does.
	msg := e.Message
	if max := C.EL_ERROR_MESSAGE_LEN - 1; len(msg) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
	}
	for i := 0; i < len(msg); i++ {
		r.message[i] = C.char(msg[i])
	}
	return describe(&r)
}

// clamp limits v to 0..max.
func clamp(v, max int64) int64 {
	if v < 0 {
		return 0
	}
	if v > max {
		return max
	}
	return v
}
