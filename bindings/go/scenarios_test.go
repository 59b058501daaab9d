package engagelab

// Every scenario of tests/contract/scenarios/delete_device.json, get_device.json and
// get_alias.json against engagelab-mock, as the runner contract of
// tests/contract/scenarios/README.md says (`cargo xtask lint` validates the
// files against schema.json): each scenario is its own subtest, named after
// it:
//
//	go test -run 'TestScenarios/deletes_known_device$'
//	go test -run 'TestScenarios/gets_tags_and_alias$'
//	go test -run 'TestScenarios/resolves_alias_to_its_devices$'

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// optInt is an expect field that may be absent, null or a number.
type optInt struct {
	set, null bool
	v         int64
}

func (o *optInt) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.null = true
		return nil
	}
	return json.Unmarshal(b, &o.v)
}

type scenarioFile struct {
	Credentials struct {
		AppKey       string `json:"app_key"`
		MasterSecret string `json:"master_secret"`
	} `json:"credentials"`
	Scenarios []scenario `json:"scenarios"`
}

type scenario struct {
	Name           string            `json:"name"`
	About          string            `json:"about"`
	Call           string            `json:"call"`
	Devices        []json.RawMessage `json:"devices"`
	Script         json.RawMessage   `json:"script"`
	ScriptID       *string           `json:"script_id"`
	RegistrationID string            `json:"registration_id"`
	Alias          string            `json:"alias"`
	Platforms      []string          `json:"platforms"`
	Client         map[string]any    `json:"client"`
	Expect         struct {
		Status          string          `json:"status"`
		HTTPStatus      optInt          `json:"http_status"`
		APICode         optInt          `json:"api_code"`
		Attempts        optInt          `json:"attempts"`
		AttemptsAtLeast optInt          `json:"attempts_at_least"`
		MaybeDeleted    *bool           `json:"maybe_deleted"`
		RetryAfterMS    optInt          `json:"retry_after_ms"`
		MessageContains []string        `json:"message_contains"`
		MessageExcludes []string        `json:"message_excludes"`
		Requests        json.RawMessage `json:"requests"`
		DeviceRemains   []string        `json:"device_remains"`
		DeviceGone      []string        `json:"device_gone"`
		MinElapsedMS    optInt          `json:"min_elapsed_ms"`
		// Device is what get_device must return; a field left out is not
		// checked, so each is kept raw to tell absent from null.
		Device map[string]json.RawMessage `json:"device"`
		// RegistrationIDs is what get_alias must return; nil when not given.
		RegistrationIDs *[]string `json:"registration_ids"`
	} `json:"expect"`
}

type expectedRequest struct {
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Headers  map[string]string `json:"headers"`
	BodySize *int64            `json:"body_size"`
}

// clientOptions turns a scenario's client object into options. The keys are
// the schema's; a key this runner does not map fails the scenario rather
// than being skipped.
func clientOptions(t *testing.T, settings map[string]any, mockURL string) (appKey, secret *string, opts []Option) {
	ms := func(v any) time.Duration {
		n, err := v.(json.Number).Int64()
		if err != nil {
			t.Fatalf("not an integer: %v", v)
		}
		return time.Duration(n) * time.Millisecond
	}
	baseURL := mockURL
	backoffBase, backoffMax := time.Millisecond, 20*time.Millisecond
	for key, value := range settings {
		switch key {
		case "app_key":
			s := value.(string)
			appKey = &s
		case "master_secret":
			s := value.(string)
			secret = &s
		case "region":
			opts = append(opts, WithRegion(value.(string)))
		case "base_url":
			baseURL = strings.ReplaceAll(value.(string), "{mock}", mockURL)
		case "timeout_ms":
			opts = append(opts, WithTimeout(ms(value)))
		case "connect_timeout_ms":
			opts = append(opts, WithConnectTimeout(ms(value)))
		case "max_retries":
			n, _ := value.(json.Number).Int64()
			opts = append(opts, WithMaxRetries(int(n)))
		case "backoff_base_ms":
			backoffBase = ms(value)
		case "backoff_max_ms":
			backoffMax = ms(value)
		case "max_retry_after_ms":
			opts = append(opts, WithMaxRetryAfter(ms(value)))
		case "allow_insecure_http":
			opts = append(opts, WithAllowInsecureHTTP(value.(bool)))
		default:
			t.Fatalf("client.%s: this runner does not map it", key)
		}
	}
	opts = append(opts, WithBaseURL(baseURL), WithBackoff(backoffBase, backoffMax))
	return appKey, secret, opts
}

func TestScenarios(t *testing.T) {
	var files []scenarioFile
	for _, path := range scenarioPaths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var file scenarioFile
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&file); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		files = append(files, file)
	}
	for _, file := range files {
		for _, sc := range file.Scenarios {
			t.Run(sc.Name, func(t *testing.T) { runScenario(t, file, sc) })
		}
	}
}

// seedDevice adds one entry of a scenario's devices: a string as
// {"registration_id": id}, an object posted as it is.
func seedDevice(t *testing.T, m *mock, seed json.RawMessage) {
	t.Helper()
	var id string
	if json.Unmarshal(seed, &id) == nil {
		m.addDevice(t, id)
		return
	}
	if err := m.call("POST", "devices", seed, nil); err != nil {
		t.Fatal(err)
	}
}

// checkDevice checks a device get_device returned: its id is the one queried,
// and every field of expect.device given holds.
func checkDevice(t *testing.T, sc scenario, d *Device) {
	t.Helper()
	if d == nil {
		t.Fatal("GetDevice returned no device and no error")
	}
	if d.RegistrationID != sc.RegistrationID {
		t.Errorf("registration id %q, want %q", d.RegistrationID, sc.RegistrationID)
	}
	if d.Tags == nil {
		t.Errorf("Tags is nil, want a slice (empty when none)")
	}
	for key, want := range sc.Expect.Device {
		switch key {
		case "tags":
			var tags []string
			if err := json.Unmarshal(want, &tags); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Tags, tags) {
				t.Errorf("tags %q, want %q", d.Tags, tags)
			}
		case "alias":
			var alias *string
			if err := json.Unmarshal(want, &alias); err != nil {
				t.Fatal(err)
			}
			switch {
			case alias == nil && d.Alias != nil:
				t.Errorf("alias %q, want none", *d.Alias)
			case alias != nil && d.Alias == nil:
				t.Errorf("no alias, want %q", *alias)
			case alias != nil && *alias != *d.Alias:
				t.Errorf("alias %q, want %q", *d.Alias, *alias)
			}
		case "raw":
			wantRaw, err := decodeJSON(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Raw()
			if err != nil {
				t.Fatalf("Raw(): %v", err)
			}
			if !sameJSON(any(got), wantRaw) {
				t.Errorf("raw %s, want %s", compactJSON(got), compactJSON(wantRaw))
			}
		case "raw_json":
			var rawJSON string
			if err := json.Unmarshal(want, &rawJSON); err != nil {
				t.Fatal(err)
			}
			if d.RawJSON != rawJSON {
				t.Errorf("raw_json %q, want %q", d.RawJSON, rawJSON)
			}
		default:
			t.Fatalf("expect.device.%s: this runner does not check it", key)
		}
	}
}

// checkIDs checks the ids get_alias returned: a slice (empty when none), and
// exactly expect.registration_ids when given.
func checkIDs(t *testing.T, sc scenario, ids []string) {
	t.Helper()
	if ids == nil {
		t.Fatal("GetAlias returned nil ids and no error, want a slice (empty when none)")
	}
	if want := sc.Expect.RegistrationIDs; want != nil && !slices.Equal(ids, *want) {
		t.Errorf("registration_ids %q, want %q", ids, *want)
	}
}

func runScenario(t *testing.T, file scenarioFile, sc scenario) {
	m := fresh(t)
	for _, seed := range sc.Devices {
		seedDevice(t, m, seed)
	}
	resolving := sc.Call == "get_alias"
	if len(sc.Script) > 0 {
		id := sc.RegistrationID
		if resolving {
			id = sc.Alias
		}
		if sc.ScriptID != nil {
			id = *sc.ScriptID
		}
		if resolving {
			m.scriptAlias(t, id, sc.Script)
		} else {
			m.script(t, id, sc.Script)
		}
	}

	appKey, secret, opts := clientOptions(t, sc.Client, m.URL)
	if appKey == nil {
		appKey = &file.Credentials.AppKey
	}
	if secret == nil {
		secret = &file.Credentials.MasterSecret
	}

	getting := false
	switch sc.Call {
	case "", "delete_device", "get_alias":
	case "get_device":
		getting = true
	default:
		t.Fatalf("call %q: this runner does not make it", sc.Call)
	}

	var device *Device
	var ids []string
	started := time.Now()
	client, err := NewClient(*appKey, *secret, opts...)
	if err == nil {
		defer client.Close()
		switch {
		case getting:
			device, err = client.GetDevice(context.Background(), sc.RegistrationID)
		case resolving:
			ids, err = client.GetAlias(context.Background(), sc.Alias, sc.Platforms...)
		default:
			err = client.DeleteDevice(context.Background(), sc.RegistrationID)
		}
	}
	elapsed := time.Since(started)
	log := m.log(t)
	x := sc.Expect

	if x.Status == "OK" {
		if err != nil {
			t.Fatalf("expected success, got %#v", err)
		}
		if x.Attempts.set && int64(len(log)) != x.Attempts.v {
			t.Errorf("attempts: the mock logged %d requests, want %d", len(log), x.Attempts.v)
		}
		if x.AttemptsAtLeast.set && int64(len(log)) < x.AttemptsAtLeast.v {
			t.Errorf("attempts: the mock logged %d requests, want at least %d", len(log), x.AttemptsAtLeast.v)
		}
		if getting {
			checkDevice(t, sc, device)
		}
		if resolving {
			checkIDs(t, sc, ids)
		}
	} else {
		if device != nil {
			t.Errorf("GetDevice returned a device with its error")
		}
		if ids != nil {
			t.Errorf("GetAlias returned ids with its error")
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("expected an *Error of %s, got %#v", x.Status, err)
		}
		if e.Kind.String() != x.Status {
			t.Fatalf("kind %s, want %s: %v", e.Kind, x.Status, e)
		}
		// errors.Is matches this kind's sentinel and no other.
		for k := Kind(1); k.sentinel() != nil; k++ {
			if errors.Is(err, k.sentinel()) != (k == e.Kind) {
				t.Errorf("errors.Is(err, sentinel of %s) = %v", k, !(k == e.Kind))
			}
		}
		checkOpt(t, "http_status", x.HTTPStatus, int64(e.HTTPStatus))
		checkOpt(t, "api_code", x.APICode, e.APICode)
		checkOpt(t, "retry_after_ms", x.RetryAfterMS, e.RetryAfter.Milliseconds())
		if x.Attempts.set && int64(e.Attempts) != x.Attempts.v {
			t.Errorf("attempts %d, want %d", e.Attempts, x.Attempts.v)
		}
		if x.AttemptsAtLeast.set && int64(e.Attempts) < x.AttemptsAtLeast.v {
			t.Errorf("attempts %d, want at least %d", e.Attempts, x.AttemptsAtLeast.v)
		}
		if x.MaybeDeleted != nil && e.MaybeDeleted != *x.MaybeDeleted {
			t.Errorf("maybe_deleted %v, want %v", e.MaybeDeleted, *x.MaybeDeleted)
		}
		for _, s := range x.MessageContains {
			if !strings.Contains(e.Message, s) {
				t.Errorf("message %q lacks %q", e.Message, s)
			}
		}
		if !strings.Contains(e.Error(), e.Message) {
			t.Errorf("Error() %q does not carry the message %q", e.Error(), e.Message)
		}
	}

	// Nothing the binding shows may hold a secret: the error's text in every
	// fmt form, and the client's (on success too).
	var shown []string
	if client != nil {
		shown = append(shown, client.String(), fmt.Sprintf("%v %+v %#v", client, client, client))
	}
	if err != nil {
		shown = append(shown, err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err))
	}
	for _, secret := range x.MessageExcludes {
		for _, text := range shown {
			if strings.Contains(text, secret) {
				t.Errorf("%q shows the secret %q", text, secret)
			}
		}
	}

	if len(x.Requests) > 0 {
		var want []expectedRequest
		if err := json.Unmarshal(x.Requests, &want); err != nil {
			t.Fatal(err)
		}
		checkRequests(t, want, log)
	}
	if x.DeviceRemains != nil || x.DeviceGone != nil {
		devices := m.devices(t)
		for _, id := range x.DeviceRemains {
			if !slices.Contains(devices, id) {
				t.Errorf("device %q is gone, want it kept", id)
			}
		}
		for _, id := range x.DeviceGone {
			if slices.Contains(devices, id) {
				t.Errorf("device %q remains, want it gone", id)
			}
		}
	}
	if x.MinElapsedMS.set && elapsed < time.Duration(x.MinElapsedMS.v)*time.Millisecond {
		t.Errorf("returned after %v, want at least %d ms", elapsed, x.MinElapsedMS.v)
	}
}

// checkOpt checks an error field whose 0 means none against a field that may
// say null (none).
func checkOpt(t *testing.T, name string, want optInt, got int64) {
	t.Helper()
	switch {
	case !want.set:
	case want.null && got != 0:
		t.Errorf("%s %d, want none", name, got)
	case !want.null && got != want.v:
		t.Errorf("%s %d, want %d", name, got, want.v)
	}
}

func checkRequests(t *testing.T, want []expectedRequest, log []loggedRequest) {
	t.Helper()
	if len(log) != len(want) {
		t.Fatalf("%d requests sent, want %d: %+v", len(log), len(want), log)
	}
	for i, w := range want {
		got := log[i]
		if got.Method != w.Method || got.Path != w.Path {
			t.Errorf("request %d: %s %s, want %s %s", i, got.Method, got.Path, w.Method, w.Path)
		}
		headers := map[string]string{}
		for _, h := range got.Headers {
			headers[strings.ToLower(h[0])] = h[1]
		}
		for name, value := range w.Headers {
			if headers[strings.ToLower(name)] != value {
				t.Errorf("request %d: header %s is %q, want %q", i, name, headers[strings.ToLower(name)], value)
			}
		}
		if w.BodySize != nil && got.BodySize != *w.BodySize {
			t.Errorf("request %d: body_size %d, want %d", i, got.BodySize, *w.BodySize)
		}
	}
}
