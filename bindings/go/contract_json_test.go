package engagelab

// Reading the shared contract files (tests/contract) for the runners: the
// scenario files' paths, JSON decoded with exact numbers, and JSON values
// compared as values. `cargo xtask lint` validates the files against their
// schemas; the runners read them as they are.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scenarioPaths are the files TestScenarios runs, in order.
var scenarioPaths = []string{
	filepath.Join(repoRoot, "tests", "contract", "scenarios", "delete_device.json"),
	filepath.Join(repoRoot, "tests", "contract", "scenarios", "get_device.json"),
	filepath.Join(repoRoot, "tests", "contract", "scenarios", "get_alias.json"),
}

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

// decodeJSON decodes keeping numbers exact (json.Number), so that integers
// and fractions can be told apart.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// typeName is the JSON type of v: an integer is a number without a
// fraction, and a boolean is not one.
func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		f, err := x.Float64()
		if err == nil && f == math.Trunc(f) && !math.IsInf(f, 0) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

func sameJSON(a, b any) bool {
	if typeName(a) != typeName(b) {
		return false
	}
	if na, ok := a.(json.Number); ok {
		fa, _ := na.Float64()
		fb, _ := b.(json.Number).Float64()
		return fa == fb
	}
	return compactJSON(a) == compactJSON(b)
}
