package engagelab

// The fault matrix of tests/contract/faults/matrix.json (format and checks in
// tests/contract/faults/README.md): each case is a subtest that deletes a device
// through one toxiproxy proxy in front of the shared mock, with the case's
// toxic (if any) on it, or with that proxy as the client's CONNECT proxy:
//
//	TOXIPROXY_URL=http://127.0.0.1:PORT go test -v -run 'TestFaults/timeout_upstream$'
//
// It needs a running toxiproxy server at TOXIPROXY_URL, which `cargo xtask
// binding go test` starts; without it the test is skipped, saying why.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// faultMatrix is matrix.json (`cargo xtask lint` checks it against
// tests/contract/faults/schema.json, which refuses a key not listed here).
type faultMatrix struct {
	About  string `json:"about"`
	Client struct {
		TimeoutMS        int64 `json:"timeout_ms"`
		ConnectTimeoutMS int64 `json:"connect_timeout_ms"`
		MaxRetries       int   `json:"max_retries"`
		BackoffBaseMS    int64 `json:"backoff_base_ms"`
		BackoffMaxMS     int64 `json:"backoff_max_ms"`
	} `json:"client"`
	DeadlineSlackMS int64             `json:"deadline_slack_ms"`
	Cases           []json.RawMessage `json:"cases"`
}

// faultCase is one case of the matrix.
type faultCase struct {
	Name         string         `json:"name"`
	About        string         `json:"about"`
	Toxic        map[string]any `json:"toxic"`
	ThroughProxy string         `json:"through_proxy"`
	MockConfig   map[string]any `json:"mock_config"`
	Expect       struct {
		Status       string `json:"status"`
		MaybeDeleted *bool  `json:"maybe_deleted"`
		MinElapsedMS *int64 `json:"min_elapsed_ms"`
	} `json:"expect"`
}

// toxiproxy is a running toxiproxy server's HTTP API.
type toxiproxy struct {
	url  string
	http *http.Client
}

func (x *toxiproxy) call(t *testing.T, method, path string, body, into any) {
	t.Helper()
	if err := callJSON(x.http, method, x.url+path, body, into); err != nil {
		t.Fatalf("toxiproxy: %v", err)
	}
}

func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault matrix runs in the full pass, not under -short")
	}
	api := os.Getenv("TOXIPROXY_URL")
	if api == "" {
		t.Skip("TOXIPROXY_URL is not set: the fault matrix needs a running toxiproxy server (`cargo xtask binding go test` starts one)")
	}
	var matrix faultMatrix
	raw, err := os.ReadFile(filepath.Join(repoRoot, "tests", "contract", "faults", "matrix.json"))
	if err == nil {
		err = json.Unmarshal(raw, &matrix)
	}
	if err != nil {
		t.Fatalf("tests/contract/faults/matrix.json: %v", err)
	}

	// One proxy in front of the mock for the whole matrix; the cases share
	// it, so they run one after the other.
	x := &toxiproxy{url: strings.TrimRight(api, "/"), http: &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}}
	name := fmt.Sprintf("engagelab-go-%d", os.Getpid())
	var proxy struct {
		Listen string `json:"listen"`
	}
	x.call(t, "POST", "/proxies", map[string]any{
		"name": name, "listen": "127.0.0.1:0", "upstream": strings.TrimPrefix(shared.URL, "http://"),
	}, &proxy)
	t.Cleanup(func() { _ = callJSON(x.http, "DELETE", x.url+"/proxies/"+name, nil, nil) })

	for _, raw := range matrix.Cases {
		var c faultCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("a case of tests/contract/faults/matrix.json: %v", err)
		}
		t.Run(c.Name, func(t *testing.T) {
			client := faultSetUp(t, x, name, "http://"+proxy.Listen, &matrix, &c)
			started := time.Now()
			err := client.DeleteDevice(context.Background(), faultDevice)
			elapsed := time.Since(started)
			// Let the proxy pass on what it still holds before reading the log.
			x.call(t, "POST", "/reset", nil, nil)
			time.Sleep(50 * time.Millisecond)
			faultCheck(t, &matrix, &c, err, elapsed, len(shared.log(t)))
		})
	}
}

const faultDevice = "fault-device"

// proxiedHost is the API host of a case run through a proxy
// (through_proxy): never resolved, the proxy is asked for it.
const proxiedHost = "push.example.invalid"

// faultSetUp prepares one case: the mock reset, seeded and given the case's
// mock_config, toxiproxy reset with the case's toxic (if any) on the proxy;
// it returns the client that makes the call, through that proxy as its
// CONNECT proxy when the case says through_proxy. A new kind of case is set
// up here.
func faultSetUp(t *testing.T, x *toxiproxy, proxyName, proxyURL string, m *faultMatrix, c *faultCase) *Client {
	mock := fresh(t)
	mock.addDevice(t, faultDevice)
	x.call(t, "POST", "/reset", nil, nil)
	if c.MockConfig != nil {
		mock.config(t, c.MockConfig)
	}
	if c.Toxic != nil {
		toxic := map[string]any{"name": "fault", "toxicity": 1.0}
		for k, v := range c.Toxic {
			toxic[k] = v
		}
		x.call(t, "POST", "/proxies/"+proxyName+"/toxics", toxic, nil)
	}

	// Through a proxy ("http" or "https", the schema says), toxiproxy
	// stands before the mock as a CONNECT proxy.
	route := []Option{WithBaseURL(proxyURL)}
	if c.ThroughProxy != "" {
		route = []Option{
			WithBaseURL(c.ThroughProxy + "://" + proxiedHost),
			WithAllowInsecureHTTP(true),
			WithProxy(proxyURL),
		}
	}
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	client, err := NewClient(testAppKey, testMasterSecret, append(route,
		WithTimeout(ms(m.Client.TimeoutMS)),
		WithConnectTimeout(ms(m.Client.ConnectTimeoutMS)),
		WithMaxRetries(m.Client.MaxRetries),
		WithBackoff(ms(m.Client.BackoffBaseMS), ms(m.Client.BackoffMaxMS)))...)
	if err != nil {
		t.Fatalf("building the client: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

// faultCheck checks what tests/contract/faults/README.md lists for every case.
func faultCheck(t *testing.T, m *faultMatrix, c *faultCase, err error, elapsed time.Duration, seen int) {
	status, maybeDeleted := "OK", false
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("not an *Error: %#v", err)
		}
		status, maybeDeleted = e.Kind.String(), e.MaybeDeleted
	}
	if status != c.Expect.Status {
		t.Errorf("status %s, want %s", status, c.Expect.Status)
		if err != nil {
			t.Logf("the error: %v", err)
		}
	}
	if want := c.Expect.MaybeDeleted; want != nil && *want != maybeDeleted {
		t.Errorf("maybe_deleted %v, want %v", maybeDeleted, *want)
	}
	if limit := time.Duration(m.Client.TimeoutMS+m.DeadlineSlackMS) * time.Millisecond; elapsed > limit {
		t.Errorf("took %v, past the deadline plus slack (%v)", elapsed, limit)
	}
	if least := c.Expect.MinElapsedMS; least != nil && elapsed < time.Duration(*least)*time.Millisecond {
		t.Errorf("took %v, less than %d ms", elapsed, *least)
	}
	if seen > 1+m.Client.MaxRetries {
		t.Errorf("the server saw %d requests, more than 1 + %d", seen, m.Client.MaxRetries)
	}
}
