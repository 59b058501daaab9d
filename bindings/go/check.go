package engagelab

/*
#include <stdlib.h>
#include <engagelab_push.h>
*/
import "C"

import (
	"context"
	"encoding/json"
	"unsafe"
)

// CheckReport is what Check found, as the core reports it (the same facts
// as `engagelab-push check --json`). It holds no secret.
type CheckReport struct {
	// BaseURL is the base URL the calls went to.
	BaseURL string `json:"base_url"`
	// Region is the region's short name; nil when a base URL was given.
	Region *string `json:"region"`
	// CredentialsAccepted is true when no answer was KindAuth and one came
	// from EngageLab's API (a success, or an error with its code that is not
	// a busy server's or the rate limit's; else the not_the_api or
	// api_unavailable finding).
	CredentialsAccepted bool `json:"credentials_accepted"`
	// Address is where the requests went (the proxy's through a proxy).
	Address *string `json:"address"`
	// TLSVersion is the TLS version negotiated ("TLS 1.3"); nil over HTTP.
	TLSVersion *string `json:"tls_version"`
	// RTTMillis is the median round trip of 5, in milliseconds.
	RTTMillis float64 `json:"rtt_ms"`
	// ServerDate is the first answer's Date header.
	ServerDate *string `json:"server_date"`
	// ClockSkewSeconds is the server's clock minus this machine's.
	ClockSkewSeconds *int64 `json:"clock_skew_s"`
	// RateLimitHeaders holds every X-Rate-Limit-* header (lower-cased).
	RateLimitHeaders map[string]string `json:"rate_limit_headers"`
	// Probes are the answers, the unknown id first.
	Probes []CheckProbe `json:"probes"`
	// Findings are the differences from what the library assumes.
	Findings []CheckFinding `json:"findings"`
}

// CheckProbe is one answer of the live API, as it came and as the library
// reads it.
type CheckProbe struct {
	Kind           string  `json:"kind"` // unknown_device, unknown_alias or device
	Path           string  `json:"path"`
	HTTPStatus     int     `json:"http_status"`
	APICode        *int64  `json:"api_code"`
	Message        string  `json:"message"`
	Classification *string `json:"classification"` // nil: a usable success
	Expected       string  `json:"expected"`
	AsExpected     bool    `json:"as_expected"`
	RTTMillis      float64 `json:"rtt_ms"`
}

// CheckFinding is a difference from what the library assumes, with a stable
// code (e.g. "unknown_device_answer", "clock_skew").
type CheckFinding struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Check checks the setup with read-only calls before anything is deleted
// (it cannot send a DELETE): a random unknown id [CheckRounds] times (the median is the
// round trip), a random unknown alias, and device unless it is "". Refused
// credentials are not an error: see CredentialsAccepted. The error is
// KindInvalidArgument for a bad device id (nothing sent), else the failure
// of a request that got no answer; ctx cancels it as it cancels
// DeleteDevice, and its deadline bounds the whole check, every request
// included (KindTimeout wrapping context.DeadlineExceeded).
func (c *Client) Check(ctx context.Context, device string) (*CheckReport, error) {
	var out *C.el_check_report
	err := c.invoke(ctx, text{"device", device}, func(client *C.el_client, _ *C.char, options *C.el_call_options, e *C.el_error) C.el_status {
		// The options record holds only C memory: cgo forbids Go pointers
		// inside memory passed to C.
		check := C.el_check_options{size: C.sizeof_el_check_options, cancel: options.cancel, timeout_ms: options.timeout_ms, has_timeout: options.has_timeout}
		if device != "" {
			check.device = C.CString(device) // no NUL: invoke refused one
			defer C.free(unsafe.Pointer(check.device))
		}
		return C.el_check(client, &check, &out, e)
	})
	if err != nil {
		return nil, err
	}
	defer C.el_check_report_free(out)
	var report CheckReport
	if err := json.Unmarshal([]byte(C.GoString(C.el_check_report_json(out))), &report); err != nil {
		return nil, &Error{Kind: KindInternal, Message: "the check report is not valid JSON: " + err.Error()}
	}
	return &report, nil
}
