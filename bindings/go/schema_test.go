package engagelab

// The schema check the scenario runner uses bites: each case changes one thing
// in a copy of the real scenario file and expects exactly that one problem,
// naming the scenario and the offending key's path.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	scenarioPath      = filepath.Join(repoRoot, "tests", "contract", "scenarios", "delete_device.json")
	getScenarioPath   = filepath.Join(repoRoot, "tests", "contract", "scenarios", "get_device.json")
	aliasScenarioPath = filepath.Join(repoRoot, "tests", "contract", "scenarios", "get_alias.json")
	schemaPath        = filepath.Join(repoRoot, "tests", "contract", "scenarios", "schema.json")
	// scenarioPaths are the files TestScenarios runs, in order.
	scenarioPaths = []string{scenarioPath, getScenarioPath, aliasScenarioPath}
)

func loadJSON(t testing.TB, path string) any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := decodeJSON(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func loadSchema(t testing.TB) map[string]any {
	t.Helper()
	s, ok := loadJSON(t, schemaPath).(map[string]any)
	if !ok {
		t.Fatalf("%s is not an object", schemaPath)
	}
	return s
}

// at walks a decoded document by keys and indexes.
func at(doc any, path ...any) any {
	for _, step := range path {
		switch s := step.(type) {
		case string:
			doc = doc.(map[string]any)[s]
		case int:
			doc = doc.([]any)[s]
		}
	}
	return doc
}

func set(path []any, value any) func(any) {
	return func(doc any) {
		parent := at(doc, path[:len(path)-1]...)
		switch k := path[len(path)-1].(type) {
		case string:
			parent.(map[string]any)[k] = value
		case int:
			parent.([]any)[k] = value
		}
	}
}

func TestSchemaRealFilePasses(t *testing.T) {
	for _, path := range scenarioPaths {
		if problems := fileProblems(loadSchema(t), loadJSON(t, path)); len(problems) != 0 {
			t.Fatalf("%s fails its schema:\n%s", path, strings.Join(problems, "\n"))
		}
	}
}

// The keys get_device.json added bite too: each change is to its first
// scenario (a device seed with tags, an expected device).
func TestSchemaRejectsInGetFile(t *testing.T) {
	cases := []struct {
		name   string
		change func(any)
		want   string
	}{
		{"unknown_call", set([]any{"scenarios", 0, "call"}, "get_devices"),
			`$.scenarios[0].call: "get_devices" is not one of`},
		{"unknown_device_key", set([]any{"scenarios", 0, "expect", "device", "tag"}, []any{}),
			"$.scenarios[0].expect.device.tag: unknown key"},
		{"unknown_device_seed_key", set([]any{"scenarios", 0, "devices", 0, "extra"}, map[string]any{}),
			"$.scenarios[0].devices[0].extra: unknown key"},
		{"device_seed_wrong_type", set([]any{"scenarios", 0, "devices", 0}, json.Number("7")),
			"$.scenarios[0].devices[0]: expected string or object, got integer"},
		{"device_alias_wrong_type", set([]any{"scenarios", 0, "expect", "device", "alias"}, json.Number("1")),
			"$.scenarios[0].expect.device.alias: expected string or null, got integer"},
		{"unknown_expect_key", set([]any{"scenarios", 0, "expect", "no_such_field"}, json.Number("1")),
			"$.scenarios[0].expect.no_such_field: unknown key"},
	}
	schema := loadSchema(t)
	first := at(loadJSON(t, getScenarioPath), "scenarios", 0, "name").(string)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := loadJSON(t, getScenarioPath) // a fresh copy
			c.change(doc)
			problems := fileProblems(schema, doc)
			want := `scenario "` + first + `": ` + c.want
			if len(problems) != 1 || !strings.HasPrefix(problems[0], want) {
				t.Fatalf("want exactly one problem starting %q, got %q", want, problems)
			}
		})
	}
}

// The keys get_alias.json added bite too: each change is to its first
// scenario (device seeds with platforms, expected registration ids).
func TestSchemaRejectsInAliasFile(t *testing.T) {
	cases := []struct {
		name   string
		change func(any)
		want   string
	}{
		{"unknown_seed_platform", set([]any{"scenarios", 0, "devices", 0, "platform"}, "web"),
			`$.scenarios[0].devices[0].platform: "web" is not one of`},
		{"registration_ids_wrong_type", set([]any{"scenarios", 0, "expect", "registration_ids"}, "a"),
			"$.scenarios[0].expect.registration_ids: expected array, got string"},
		{"platforms_item_wrong_type", set([]any{"scenarios", 0, "platforms"}, []any{json.Number("1")}),
			"$.scenarios[0].platforms[0]: expected string, got integer"},
		{"unknown_expect_key", set([]any{"scenarios", 0, "expect", "no_such_field"}, json.Number("1")),
			"$.scenarios[0].expect.no_such_field: unknown key"},
	}
	schema := loadSchema(t)
	first := at(loadJSON(t, aliasScenarioPath), "scenarios", 0, "name").(string)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := loadJSON(t, aliasScenarioPath) // a fresh copy
			c.change(doc)
			problems := fileProblems(schema, doc)
			want := `scenario "` + first + `": ` + c.want
			if len(problems) != 1 || !strings.HasPrefix(problems[0], want) {
				t.Fatalf("want exactly one problem starting %q, got %q", want, problems)
			}
		})
	}
}

// The input check beside the schema: a get_alias scenario needs alias and
// takes no registration_id; a device scenario needs registration_id and
// takes no alias or platforms. Each bad scenario is exactly one problem, and
// one in a copy of the real file fails it with the scenario's name.
func TestInputCheck(t *testing.T) {
	for _, c := range []struct {
		name     string
		scenario map[string]any
		want     string
	}{
		{"alias_scenario_without_alias", map[string]any{"call": "get_alias"}, "needs alias"},
		{"alias_scenario_with_registration_id",
			map[string]any{"call": "get_alias", "alias": "a", "registration_id": "r"}, "takes no registration_id"},
		{"device_scenario_with_platforms",
			map[string]any{"registration_id": "r", "platforms": []any{}}, "platforms is for get_alias"},
		{"device_scenario_with_alias",
			map[string]any{"call": "get_device", "registration_id": "r", "alias": "a"}, "alias is for get_alias"},
		{"device_scenario_without_registration_id", map[string]any{"call": "get_device"}, "needs registration_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			problems := inputProblems(c.scenario)
			if len(problems) != 1 || !strings.Contains(problems[0], c.want) {
				t.Fatalf("want exactly one problem naming %q, got %q", c.want, problems)
			}
		})
	}
	for _, c := range []struct {
		name, path string
		change     func(any)
		want       string
	}{
		{"alias_file", aliasScenarioPath, set([]any{"scenarios", 0, "registration_id"}, "r"),
			"input: a get_alias scenario takes no registration_id"},
		{"device_file", getScenarioPath, set([]any{"scenarios", 0, "alias"}, "a"),
			"input: alias is for get_alias scenarios only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := loadJSON(t, c.path)
			first := at(doc, "scenarios", 0, "name").(string)
			c.change(doc)
			problems := fileProblems(loadSchema(t), doc)
			want := `scenario "` + first + `": ` + c.want
			if len(problems) != 1 || problems[0] != want {
				t.Fatalf("want exactly the problem %q, got %q", want, problems)
			}
		})
	}
}

func TestSchemaRejects(t *testing.T) {
	cases := []struct {
		name   string
		change func(any)
		want   string
	}{
		{"unknown_expect_key", set([]any{"scenarios", 0, "expect", "no_such_field"}, json.Number("1")),
			"$.scenarios[0].expect.no_such_field: unknown key"},
		{"unknown_client_key", set([]any{"scenarios", 0, "client"}, map[string]any{"timeout": json.Number("5")}),
			"$.scenarios[0].client.timeout: unknown key"},
		{"unknown_scenario_key", set([]any{"scenarios", 0, "expected"}, map[string]any{}),
			"$.scenarios[0].expected: unknown key"},
		{"unknown_request_key", set([]any{"scenarios", 0, "expect", "requests", 0, "query"}, ""),
			"$.scenarios[0].expect.requests[0].query: unknown key"},
		{"unknown_script_key", set([]any{"scenarios", 0, "script"}, []any{map[string]any{"code": json.Number("200")}}),
			"$.scenarios[0].script[0].code: unknown key"},
		{"unknown_top_level_key", set([]any{"scenario"}, []any{}), "$.scenario: unknown key"},
		{"wrong_type", set([]any{"scenarios", 0, "expect", "attempts"}, "1"),
			"$.scenarios[0].expect.attempts: expected integer, got string"},
		{"bool_is_not_integer", set([]any{"scenarios", 0, "expect", "attempts"}, true),
			"$.scenarios[0].expect.attempts: expected integer, got boolean"},
		{"fraction_is_not_integer", set([]any{"scenarios", 0, "expect", "attempts"}, json.Number("1.5")),
			"$.scenarios[0].expect.attempts: expected integer, got number"},
		{"missing_required_key", func(doc any) { delete(at(doc, "scenarios", 0, "expect").(map[string]any), "status") },
			`$.scenarios[0].expect: missing required key "status"`},
		{"unknown_status", set([]any{"scenarios", 0, "expect", "status"}, "MAYBE"),
			`$.scenarios[0].expect.status: "MAYBE" is not one of`},
		{"below_minimum", set([]any{"scenarios", 0, "expect", "attempts"}, json.Number("-1")),
			"$.scenarios[0].expect.attempts: -1 is less than the minimum 0"},
	}
	schema := loadSchema(t)
	first := at(loadJSON(t, scenarioPath), "scenarios", 0, "name").(string)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := loadJSON(t, scenarioPath) // a fresh copy
			c.change(doc)
			problems := fileProblems(schema, doc)
			want := c.want
			if strings.HasPrefix(want, "$.scenarios[0]") {
				want = `scenario "` + first + `": ` + want
			}
			if len(problems) != 1 || !strings.HasPrefix(problems[0], want) {
				t.Fatalf("want exactly one problem starting %q, got %q", want, problems)
			}
		})
	}
}

func TestSchemaRejectsDuplicateNames(t *testing.T) {
	doc := loadJSON(t, scenarioPath)
	scenarios := at(doc, "scenarios").([]any)
	second := at(doc, "scenarios", 1).(map[string]any)
	second["name"] = scenarios[0].(map[string]any)["name"]
	problems := fileProblems(loadSchema(t), doc)
	if len(problems) != 1 || !strings.HasSuffix(problems[0], "the name is used twice") {
		t.Fatalf("got %q", problems)
	}
}

func TestSchemaRejectsUnsupportedKeyword(t *testing.T) {
	schema := loadSchema(t)
	at(schema, "$defs", "expect").(map[string]any)["maxProperties"] = json.Number("3")
	problems := fileProblems(schema, loadJSON(t, scenarioPath))
	if len(problems) == 0 || !strings.Contains(problems[0], `schema keyword "maxProperties" is not supported`) {
		t.Fatalf("got %q", problems)
	}
}
