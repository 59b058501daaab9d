package engagelab

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestBulkScenarios runs tests/contract/scenarios/bulk.json (DeleteDevices,
// DeleteDevicesFromFile, EraseUsers and their callbacks) against the shared
// mock (`cargo xtask lint` checks it against bulk_schema.json). A scenario's
// cancel is the run's ctx, cancelled from a callback.
func TestBulkScenarios(t *testing.T) {
	bulkPath := filepath.Join(repoRoot, "tests", "contract", "scenarios", "bulk.json")
	doc := loadJSON(t, bulkPath)
	for _, sc := range doc.(map[string]any)["scenarios"].([]any) {
		sc := sc.(map[string]any)
		name := sc["name"].(string)
		t.Run(name, func(t *testing.T) { runBulkScenario(t, sc) })
	}
}

func strs(v any) []string {
	out := []string{}
	for _, s := range asList(v) {
		out = append(out, s.(string))
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func num(v any) uint64 {
	n, _ := v.(json.Number).Int64()
	return uint64(n)
}

// jsonLines reads path's JSON lines from line `from` on, and its line count.
func jsonLines(path string, from int) ([]map[string]any, int) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0
	}
	defer f.Close()
	var out []map[string]any
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if n >= from {
			var v map[string]any
			if json.Unmarshal(sc.Bytes(), &v) == nil {
				out = append(out, v)
			}
		}
		n++
	}
	return out, n
}

func sortedCopy(s []string) []string {
	c := append([]string{}, s...)
	sort.Strings(c)
	return c
}

func runBulkScenario(t *testing.T, sc map[string]any) {
	m := fresh(t)
	for _, seed := range asList(sc["devices"]) {
		body := seed
		if id, ok := seed.(string); ok {
			body = map[string]any{"registration_id": id}
		}
		if err := m.call("POST", "devices", body, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, script := range asList(sc["scripts"]) {
		if err := m.call("POST", "script", script, nil); err != nil {
			t.Fatal(err)
		}
	}
	client, err := NewClient(testAppKey, testMasterSecret, WithBaseURL(m.URL),
		WithBackoff(time.Millisecond, 20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	dir := t.TempDir()
	journal, backup, report := filepath.Join(dir, "journal"), filepath.Join(dir, "backup.jsonl"), filepath.Join(dir, "report.jsonl")
	reportSeen, backupSeen := 0, 0
	for i, r := range asList(sc["runs"]) {
		r := r.(map[string]any)
		where := fmt.Sprintf("run %d", i+1)
		expect := r["expect"].(map[string]any)
		settings, _ := r["settings"].(map[string]any)
		opts := BulkOptions{}
		if v, ok := settings["qps"]; ok {
			opts.QPS = uint32(num(v))
		}
		if v, ok := settings["concurrency"]; ok {
			opts.Concurrency = uint32(num(v))
		}
		if v, ok := settings["max_deletions"]; ok {
			opts.MaxDeletions = num(v)
		}
		opts.DryRun = settings["dry_run"] == true
		if settings["journal"] == true {
			opts.Journal = journal
		}
		if settings["backup"] == true {
			opts.Backup = backup
		}
		if settings["report"] == true {
			opts.Report = report
		}
		ctx, cancel := context.WithCancel(context.Background())
		if when, ok := r["cancel_when_done"]; ok {
			n := num(when)
			opts.OnProgress = func(p BulkProgress) {
				if p.Done >= n {
					cancel()
				}
			}
		}
		var plans []BulkPlan
		if how, ok := r["confirm"].(string); ok {
			opts.Confirm = func(p BulkPlan) bool {
				plans = append(plans, p)
				if how == "cancel" {
					cancel()
				}
				return how != "decline"
			}
		}
		resolved := []any{}
		opts.OnResolved = func(alias string, ids []string) {
			l := []any{}
			for _, id := range ids {
				l = append(l, id)
			}
			resolved = append(resolved, map[string]any{"alias": alias, "registration_ids": l})
		}
		logBefore := len(m.log(t))

		var summary BulkSummary
		var erasure Erasure
		var runErr error
		switch sc["call"] {
		case "erase_users":
			erasure, runErr = client.EraseUsers(ctx, strs(r["input"]), opts)
			summary = erasure.Summary
		case "delete_devices_from_file":
			path := filepath.Join(dir, "no-such-file.txt")
			if in, ok := r["input"]; ok {
				path = filepath.Join(dir, "input.txt")
				text := strings.Join(strs(in), "\n") + "\n"
				if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			summary, runErr = client.DeleteDevicesFromFile(ctx, path, opts)
		default:
			summary, runErr = client.DeleteDevices(ctx, strs(r["input"]), opts)
		}
		cancel()

		status, kind := "OK", ""
		if runErr != nil {
			var e *Error
			if !errors.As(runErr, &e) {
				t.Fatalf("%s: %v is not an *Error", where, runErr)
			}
			status = e.Kind.String()
			var be *BulkError
			if errors.As(runErr, &be) {
				kind = be.Kind.String()
				summary = be.Summary
			}
		}
		wantKind, _ := expect["error"].(string)
		if status != expect["status"] || kind != wantKind {
			t.Errorf("%s: expected %v (%q), got %s (%q): %v", where, expect["status"], wantKind, status, kind, runErr)
		}
		for _, part := range strs(expect["message_contains"]) {
			if runErr == nil || !strings.Contains(runErr.Error(), part) {
				t.Errorf("%s: message %v lacks %q", where, runErr, part)
			}
		}
		if want, ok := expect["plan"].(map[string]any); ok {
			if len(plans) != 1 {
				t.Errorf("%s: confirm was called %d times", where, len(plans))
			} else {
				got := map[string]any{"entries": plans[0].Entries, "ids": plans[0].IDs, "dry_run": plans[0].DryRun}
				for k, v := range want {
					if b, isBool := v.(bool); isBool {
						if got[k] != b {
							t.Errorf("%s: plan.%s: expected %v, got %v", where, k, v, got[k])
						}
					} else if got[k] != num(v) {
						t.Errorf("%s: plan.%s: expected %v, got %v", where, k, v, got[k])
					}
				}
			}
		}
		if want, ok := expect["summary"].(map[string]any); ok {
			got := map[string]any{
				"entries": summary.Entries, "ids": summary.IDs, "deleted": summary.Deleted,
				"not_found": summary.NotFound, "failed": summary.Failed, "invalid": summary.Invalid,
				"duplicate": summary.Duplicate, "already_done": summary.AlreadyDone,
				"would_delete": summary.WouldDelete, "not_started": summary.NotStarted,
				"rate_limited": summary.RateLimited, "interrupted": summary.Interrupted,
				"dry_run": summary.DryRun, "stopped": summary.Stopped != "",
			}
			for k, v := range want {
				var w any = v
				if _, isBool := v.(bool); !isBool {
					w = num(v)
				}
				if got[k] != w {
					t.Errorf("%s: summary.%s: expected %v, got %v", where, k, w, got[k])
				}
			}
		}
		lines, n := jsonLines(report, reportSeen)
		reportSeen = n
		if want, ok := expect["report"]; ok {
			var w, g []string
			for _, l := range asList(want) {
				l := l.(map[string]any)
				w = append(w, fmt.Sprint(l["registration_id"], " ", l["outcome"]))
			}
			for _, l := range lines {
				if o, ok := l["outcome"]; ok {
					g = append(g, fmt.Sprint(l["registration_id"], " ", o))
				}
			}
			if !reflect.DeepEqual(sortedCopy(w), sortedCopy(g)) {
				t.Errorf("%s: report: expected %v, got %v", where, w, g)
			}
		}
		backups, n := jsonLines(backup, backupSeen)
		backupSeen = n
		if want, ok := expect["backup"]; ok {
			var g []string
			for _, b := range backups {
				g = append(g, fmt.Sprint(b["registration_id"]))
			}
			if !reflect.DeepEqual(sortedCopy(strs(want)), sortedCopy(g)) {
				t.Errorf("%s: backup: expected %v, got %v", where, strs(want), g)
			}
		}
		if want, ok := expect["requests"]; ok {
			var w, g []string
			for _, q := range asList(want) {
				q := q.(map[string]any)
				w = append(w, fmt.Sprint(q["method"], " ", q["path"]))
			}
			for _, q := range m.log(t)[logBefore:] {
				g = append(g, q.Method+" "+q.Path)
			}
			if !reflect.DeepEqual(sortedCopy(w), sortedCopy(g)) {
				t.Errorf("%s: requests: expected %v, got %v", where, w, g)
			}
		}
		if want, ok := expect["resolved"]; ok && compactJSON(want) != compactJSON(resolved) {
			t.Errorf("%s: resolved: expected %s, got %s", where, compactJSON(want), compactJSON(resolved))
		}
		if want, ok := expect["users"]; ok {
			got := []any{}
			for _, u := range erasure.Users {
				var bound any
				if u.StillBound != nil {
					l := []any{}
					for _, id := range u.StillBound {
						l = append(l, id)
					}
					bound = l
				}
				ids := []any{}
				for _, id := range u.RegistrationIDs {
					ids = append(ids, id)
				}
				got = append(got, map[string]any{"alias": u.Alias, "registration_ids": ids, "still_bound": bound})
			}
			if compactJSON(want) != compactJSON(got) {
				t.Errorf("%s: users: expected %s, got %s", where, compactJSON(want), compactJSON(got))
			}
		}
		if want, ok := expect["is_success"].(bool); ok && erasure.Success != want {
			t.Errorf("%s: is_success: expected %v", where, want)
		}
		store := map[string]bool{}
		for _, id := range m.devices(t) {
			store[id] = true
		}
		for _, id := range strs(expect["device_remains"]) {
			if !store[id] {
				t.Errorf("%s: %s should remain", where, id)
			}
		}
		for _, id := range strs(expect["device_gone"]) {
			if store[id] {
				t.Errorf("%s: %s should be gone", where, id)
			}
		}
	}
}

// TestBulkCallbackPanic: a panicking callback stops the run (nothing sent)
// and its panic is raised again once the run has ended.
func TestBulkCallbackPanic(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "panic-1")
	client, err := NewClient(testAppKey, testMasterSecret, WithBaseURL(m.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want the callback's panic", p)
		}
		if n := len(m.log(t)); n != 0 {
			t.Errorf("%d requests sent after the panic", n)
		}
	}()
	_, _ = client.DeleteDevices(context.Background(), []string{"panic-1"}, BulkOptions{
		Confirm: func(BulkPlan) bool { panic("boom") },
	})
	t.Error("the panic was not raised again")
}

// TestBulkCallbackGoexit: a callback that calls runtime.Goexit (as
// t.FailNow does) stops the run, and the Goexit ends the calling goroutine
// once the run has ended: nothing is sent after it, whereas unwinding
// through the library would leave the run deleting in the background.
func TestBulkCallbackGoexit(t *testing.T) {
	m := fresh(t)
	var ids []string
	for i := range 20 {
		ids = append(ids, fmt.Sprintf("goexit-%d", i))
		m.addDevice(t, ids[i])
	}
	client := newMockClient(t, m)
	for name, opts := range map[string]BulkOptions{
		"confirm":  {QPS: 20, Confirm: func(BulkPlan) bool { runtime.Goexit(); return true }},
		"progress": {QPS: 20, OnProgress: func(BulkProgress) { runtime.Goexit() }},
	} {
		m.reset(t)
		for _, id := range ids {
			m.addDevice(t, id)
		}
		returned := make(chan bool, 1)
		go func() {
			defer close(returned)
			_, _ = client.DeleteDevices(context.Background(), ids, opts)
			returned <- true
		}()
		if <-returned {
			t.Errorf("%s: DeleteDevices returned: the Goexit was not raised again", name)
		}
		sent := len(m.log(t))
		time.Sleep(500 * time.Millisecond)
		if later := len(m.log(t)); later != sent {
			t.Errorf("%s: %d requests sent after the goroutine ended", name, later-sent)
		}
		if name == "confirm" && sent != 0 {
			t.Errorf("confirm: %d requests sent", sent)
		}
	}
}

// TestBulkStallTimeout: StallTimeout reaches the engine. At a quota of 0
// requests/s the run stops after it (the default would wait five minutes),
// saying why; a negative value is refused before anything is sent.
func TestBulkStallTimeout(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "stall-1")
	m.config(t, map[string]any{"rate_limit_qps": 0})
	client, err := NewClient(testAppKey, testMasterSecret, WithBaseURL(m.URL))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, err = client.DeleteDevices(context.Background(), []string{"stall-1"}, BulkOptions{StallTimeout: -time.Second})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindInvalidArgument || !strings.Contains(e.Message, "StallTimeout") {
		t.Fatalf("negative StallTimeout: %v", err)
	}
	s, err := client.DeleteDevices(context.Background(), []string{"stall-1"}, BulkOptions{QPS: 50, StallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Stopped, "rate-limited with no device deleted") || s.Deleted != 0 || s.RateLimited == 0 {
		t.Errorf("summary %+v", s)
	}
}

// A run whose ctx is done before it starts sends nothing and returns the
// interrupted summary, as in every language, not ctx.Err() alone.
func TestBulkWithADoneContext(t *testing.T) {
	m := fresh(t)
	m.addDevice(t, "done-1")
	client := newMockClient(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := client.DeleteDevices(ctx, []string{"done-1"}, BulkOptions{})
	if err != nil || !s.Interrupted || s.Deleted != 0 {
		t.Errorf("DeleteDevices: %+v, %v", s, err)
	}
	erasure, err := client.EraseUsers(ctx, []string{"done-user"}, BulkOptions{})
	if err != nil || !erasure.Summary.Interrupted || erasure.Summary.Deleted != 0 {
		t.Errorf("EraseUsers: %+v, %v", erasure, err)
	}
	if log := m.log(t); len(log) != 0 {
		t.Errorf("a done ctx sent %+v", log)
	}
}
