package engagelab

import (
	"bufio"
	"context"
	"errors"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/engagelab-push/engagelab-push/bindings/go/internal/mallinfo"
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

// segments is how many times a leak test samples its run after the warm-up.
const segments = 8

// rssLimit is the growth per call the resident size may show (Go's heap and
// runtime too, whose scavenger moves it by megabytes): a loose bound beside
// malloc's exact one, for what a binding might keep outside malloc.
const rssLimit = 300

// theilSen is the Theil-Sen slope of ys over 0, 1, 2, ...: the median of the
// slopes between every pair of samples. A steady leak moves it; a one-off
// jump (the Go heap or an arena growing once) moves only the pairs that
// straddle it, too few to move a median.
func theilSen(ys []int64) float64 {
	var slopes []float64
	for i := range ys {
		for j := i + 1; j < len(ys); j++ {
			slopes = append(slopes, float64(ys[j]-ys[i])/float64(j-i))
		}
	}
	sort.Float64s(slopes)
	mid := len(slopes) / 2
	if len(slopes)%2 == 1 {
		return slopes[mid]
	}
	return (slopes[mid-1] + slopes[mid]) / 2
}

// assertFlat runs `run` for warmUp calls, then for calls in segments,
// sampling malloc's bytes in use (where the library's objects live) and the
// resident size after each, and fails when either grows steadily by its
// limit per call or more: limit bytes for malloc, rssLimit for the RSS.
func assertFlat(t *testing.T, warmUp, calls int, limit float64, run func(n int)) {
	t.Helper()
	run(warmUp)
	per := calls / segments
	var heap, rss []int64
	sample := func() {
		runtime.GC()
		runtime.GC()
		heap = append(heap, mallinfo.InUse())
		rss = append(rss, rssKiB(t)*1024)
	}
	sample()
	for i := 0; i < segments; i++ {
		run(per)
		sample()
	}
	heapPerCall := theilSen(heap) / float64(per)
	rssPerCall := theilSen(rss) / float64(per)
	t.Logf("malloc in use after each segment of %d calls: %v bytes: %.1f B/call", per, heap, heapPerCall)
	t.Logf("RSS after each segment: %v bytes: %.1f B/call", rss, rssPerCall)
	if heapPerCall >= limit {
		t.Errorf("malloc's bytes in use grew %.1f B/call over %d calls: a leak", heapPerCall, segments*per)
	}
	if rssPerCall >= rssLimit {
		t.Errorf("the resident size grew %.1f B/call over %d calls: a leak", rssPerCall, segments*per)
	}
}

// 40k calls on one client stay flat: successes and errors, with and without
// a cancel token and deadline, and client builds. Not freeing the cancel
// token added 64 B/call to malloc's bytes in use when tried (flat: under 1).
func TestLeakDeleteDevice(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("40k calls: run without -short and without -race")
	}
	const calls = 40_000
	m := fresh(t)
	t.Cleanup(func() { m.reset(t) })
	c := newMockClient(t, m, WithMaxRetries(0))
	cancelCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deadlineCtx, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	contexts := []context.Context{context.Background(), cancelCtx, deadlineCtx}

	// Each segment: half the calls on unknown ids answered 200 (the success
	// path), then half answered the default 400/27002 (NOT_FOUND, the error path: the
	// el_error is filled and mapped). The reset also drops the mock's log.
	done := 0
	call := func(wantErr bool) {
		i := done
		done++
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
	assertFlat(t, 5_000, calls, 16, func(n int) {
		m.config(t, map[string]any{"unknown_device": map[string]any{"status": 200, "body": ""}})
		for i := 0; i < n/2; i++ {
			call(false)
		}
		m.reset(t)
		for i := n / 2; i < n; i++ {
			call(true)
		}
	})
}

// GetDevice frees every el_device it gets: 40k queries of a device with tags
// and an alias stay flat. A device not freed (its tags, alias and answer)
// added 416 B/call when tried.
func TestLeakGetDevice(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("40k calls: run without -short and without -race")
	}
	const calls = 40_000
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
	assertFlat(t, 5_000, calls, 16, run)
}

// GetAlias frees every el_id_list it gets: 40k resolutions of an alias bound
// to four devices stay flat. A list not freed (its ids and their array)
// added 297 B/call when tried.
func TestLeakGetAlias(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("40k calls: run without -short and without -race")
	}
	const calls = 40_000
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
	assertFlat(t, 5_000, calls, 16, run)
}

// EraseUsers frees its el_erasure when a callback panics: the panic is
// raised again once the run has ended, and the erasure the core wrote (an
// interrupted one) must not be left behind by that panic. 2k erasures whose
// OnResolved panics (each recovered) stay flat; the erasure not freed added
// 855 B/call to malloc's bytes in use when tried.
func TestLeakEraseUsersCallbackPanic(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("2k runs: run without -short and without -race")
	}
	m := fresh(t)
	t.Cleanup(func() { m.reset(t) })
	m.bind(t, "leak-erase-registration-id", "leak-erase-user", "")
	c := newMockClient(t, m, WithMaxRetries(0))
	erase := func() (panicked any) {
		defer func() { panicked = recover() }()
		_, _ = c.EraseUsers(context.Background(), []string{"leak-erase-user"}, BulkOptions{
			QPS:        10_000,
			OnResolved: func(string, []string) { panic("boom") },
		})
		return nil
	}
	run := func(n int) {
		for i := 0; i < n; i++ {
			if p := erase(); p != "boom" {
				t.Fatalf("run %d: recovered %v, want the callback's panic", i, p)
			}
		}
		m.reset(t) // drops the mock's log
		m.bind(t, "leak-erase-registration-id", "leak-erase-user", "")
	}
	assertFlat(t, 200, 2_000, 16, run)
}
