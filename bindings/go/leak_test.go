package engagelab

import (
	"bufio"
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rssKiB reads VmRSS from /proc/self/status.
func rssKiB(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// 100k calls on one client keep the resident size flat: successes and
// errors, with and without a cancel token and deadline, and client builds.
// A leak of even 100 bytes per call would add about 10 MiB.
func TestLeak100kCalls(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("100k calls: run without -short and without -race")
	}
	const calls = 100_000
	m := fresh(t)
	t.Cleanup(func() { m.reset(t) })
	c := newMockClient(t, m, WithMaxRetries(0))
	cancelCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deadlineCtx, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	contexts := []context.Context{context.Background(), cancelCtx, deadlineCtx}

	run := func(n int, wantErr bool) {
		for i := 0; i < n; i++ {
			err := c.DeleteDevice(contexts[i%len(contexts)], "leak-"+strconv.Itoa(i%1000))
			var e *Error
			if wantErr && (!errors.As(err, &e) || e.Kind != KindNotFound || e.Message == "") {
				t.Fatalf("call %d: want KindNotFound, got %v", i, err)
			}
			if !wantErr && err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			if i%5000 == 0 { // builds too, and an invalid argument
				c2, err := NewClient("k", "s", WithBaseURL(m.URL))
				if err != nil {
					t.Fatal(err)
				}
				c2.Close()
				if c.DeleteDevice(context.Background(), "") == nil {
					t.Fatal("empty id accepted")
				}
			}
		}
	}
	settle := func() int64 {
		runtime.GC()
		runtime.GC()
		return rssKiB(t)
	}

	// Unknown ids answer 200 (success path), then the default 400/27002
	// (error path: the el_error is filled and mapped).
	m.config(t, map[string]any{"unknown_device": map[string]any{"status": 200, "body": ""}})
	run(5_000, false) // warm up: pools, caches, the Go heap's working size
	before := settle()
	run(calls/2, false)
	m.reset(t) // also drops the mock's request log
	run(calls/2, true)
	after := settle()
	growth := after - before
	t.Logf("RSS %d KiB before, %d KiB after %d calls: %+d KiB", before, after, calls, growth)
	if growth > 8*1024 {
		t.Errorf("RSS grew by %d KiB over %d calls: a leak", growth, calls)
	}
}

// GetDevice frees every el_device it gets: 100k queries of a device with tags
// and an alias keep the resident size flat. A device not freed (its tags,
// alias and answer, a few hundred bytes) would add well over 20 MiB.
func TestLeakGetDevice(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("100k calls: run without -short and without -race")
	}
	const calls = 100_000
	m := fresh(t)
	t.Cleanup(func() { m.reset(t) })
	if err := m.call("POST", "devices", map[string]any{
		"registration_id": "leak-get", "tags": []string{"tag-one", "tag-two", "tag-three"},
		"alias": "an-alias-of-some-length",
	}, nil); err != nil {
		t.Fatal(err)
	}
	c := newMockClient(t, m, WithMaxRetries(0))
	run := func(n int) {
		for i := 0; i < n; i++ {
			d, err := c.GetDevice(context.Background(), "leak-get")
			if err != nil || len(d.Tags) != 3 || d.Alias == nil {
				t.Fatalf("call %d: %+v, %v", i, d, err)
			}
		}
	}
	settle := func() int64 {
		runtime.GC()
		runtime.GC()
		return rssKiB(t)
	}
	run(5_000)
	before := settle()
	run(calls)
	after := settle()
	growth := after - before
	t.Logf("RSS %d KiB before, %d KiB after %d calls: %+d KiB", before, after, calls, growth)
	if growth > 8*1024 {
		t.Errorf("RSS grew by %d KiB over %d calls: a leak", growth, calls)
	}
}

// GetAlias frees every el_id_list it gets: 100k resolutions of an alias bound
// to four devices keep the resident size flat. A list not freed (its ids and
// their array, a few hundred bytes) would add well over 20 MiB.
func TestLeakGetAlias(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("100k calls: run without -short and without -race")
	}
	const calls = 100_000
	m := fresh(t)
	t.Cleanup(func() { m.reset(t) })
	for _, p := range []string{"android", "ios", "hmos", ""} {
		m.bind(t, "leak-alias-registration-id-"+p, "leak-user", p)
	}
	c := newMockClient(t, m, WithMaxRetries(0))
	run := func(n int) {
		for i := 0; i < n; i++ {
			var ids []string
			var err error
			if i%2 == 0 {
				ids, err = c.GetAlias(context.Background(), "leak-user")
			} else { // the platforms string too
				ids, err = c.GetAlias(context.Background(), "leak-user", "android", "ios", "hmos")
			}
			if err != nil || len(ids) != 4-i%2 {
				t.Fatalf("call %d: %q, %v", i, ids, err)
			}
		}
	}
	settle := func() int64 {
		runtime.GC()
		runtime.GC()
		return rssKiB(t)
	}
	run(5_000)
	before := settle()
	run(calls)
	after := settle()
	growth := after - before
	t.Logf("RSS %d KiB before, %d KiB after %d calls: %+d KiB", before, after, calls, growth)
	if growth > 8*1024 {
		t.Errorf("RSS grew by %d KiB over %d calls: a leak", growth, calls)
	}
}
