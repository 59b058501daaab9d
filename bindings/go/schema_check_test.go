package engagelab

// A validator for the subset of JSON Schema that tests/contract/scenarios/schema.json
// uses, the same subset and rules as the Rust
// (crates/engagelab-push/tests/common/schema.rs), C (tests/c/schema_check.c)
// and Python (python/tests/schema_check.py) runners: type, properties,
// required, additionalProperties (false or a schema), items, enum, $ref to
// #/$defs/..., minimum. Any other keyword in the schema is reported, so a rule
// this validator would skip cannot be added silently. It is driven by the
// schema alone: no key list lives here, except in inputProblems, the check of
// each scenario's input for its call that the contract adds beside the
// schema.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var schemaKeywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "enum": true, "$ref": true, "minimum": true,
}

var schemaAnnotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true, "$defs": true,
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

// typeName is the JSON Schema type of v: an integer is a number without a
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

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validate returns every violation of schema by v, as "$.path.to.key: what".
func validate(schema map[string]any, v any) []string {
	var errs []string
	checkSchema(schema, schema, v, "$", &errs)
	return errs
}

func checkSchema(root map[string]any, node any, v any, path string, errs *[]string) {
	schema, ok := node.(map[string]any)
	if !ok {
		*errs = append(*errs, path+": the schema here is not an object")
		return
	}
	for _, key := range sortedKeys(schema) {
		if !schemaKeywords[key] && !schemaAnnotations[key] {
			*errs = append(*errs, fmt.Sprintf("%s: schema keyword %q is not supported", path, key))
		}
	}
	if ref, ok := schema["$ref"]; ok {
		s, _ := ref.(string)
		defs, _ := root["$defs"].(map[string]any)
		if name, found := strings.CutPrefix(s, "#/$defs/"); found && defs != nil && defs[name] != nil {
			checkSchema(root, defs[name], v, path, errs)
		} else {
			*errs = append(*errs, fmt.Sprintf("%s: cannot resolve $ref %v", path, ref))
		}
	}
	if t, ok := schema["type"]; ok {
		var types []string
		switch x := t.(type) {
		case string:
			types = []string{x}
		case []any:
			for _, y := range x {
				s, _ := y.(string)
				types = append(types, s)
			}
		}
		got := typeName(v)
		match := false
		for _, want := range types {
			if want == got || (want == "number" && got == "integer") {
				match = true
			}
		}
		if !match {
			*errs = append(*errs, fmt.Sprintf("%s: expected %s, got %s", path, strings.Join(types, " or "), got))
			return
		}
	}
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, allowed := range enum {
			if sameJSON(allowed, v) {
				found = true
			}
		}
		if !found {
			*errs = append(*errs, fmt.Sprintf("%s: %s is not one of %s", path, compactJSON(v), compactJSON(enum)))
		}
	}
	if minimum, ok := schema["minimum"].(json.Number); ok {
		if n, isNum := v.(json.Number); isNum {
			fv, _ := n.Float64()
			fm, _ := minimum.Float64()
			if fv < fm {
				*errs = append(*errs, fmt.Sprintf("%s: %s is less than the minimum %s", path, n.String(), strconv.FormatFloat(fm, 'g', -1, 64)))
			}
		}
	}
	if items, ok := schema["items"]; ok {
		if list, isList := v.([]any); isList {
			for i, item := range list {
				checkSchema(root, items, item, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return
	}
	if required, ok := schema["required"].([]any); ok {
		for _, r := range required {
			name, _ := r.(string)
			if _, present := obj[name]; !present {
				*errs = append(*errs, fmt.Sprintf("%s: missing required key %q", path, name))
			}
		}
	}
	properties, _ := schema["properties"].(map[string]any)
	extra, hasExtra := schema["additionalProperties"]
	for _, key := range sortedKeys(obj) {
		child := path + "." + key
		if sub, known := properties[key]; known {
			checkSchema(root, sub, obj[key], child, errs)
		} else if hasExtra {
			switch x := extra.(type) {
			case bool:
				if !x {
					*errs = append(*errs, child+": unknown key")
				}
			case map[string]any:
				checkSchema(root, x, obj[key], child, errs)
			}
		}
	}
}

// inputProblems is what is wrong with a scenario's input for its call, which
// the schema cannot say: get_alias needs alias and takes no registration_id;
// the device calls need registration_id and take no alias or platforms.
func inputProblems(sc map[string]any) []string {
	has := func(key string) bool { _, ok := sc[key]; return ok }
	var bad []string
	if sc["call"] == "get_alias" {
		if !has("alias") {
			bad = append(bad, "input: a get_alias scenario needs alias")
		}
		if has("registration_id") {
			bad = append(bad, "input: a get_alias scenario takes no registration_id")
		}
		return bad
	}
	if !has("registration_id") {
		bad = append(bad, "input: a device scenario needs registration_id")
	}
	for _, key := range []string{"alias", "platforms"} {
		if has(key) {
			bad = append(bad, "input: "+key+" is for get_alias scenarios only")
		}
	}
	return bad
}

var scenarioIndex = regexp.MustCompile(`^\$\.scenarios\[(\d+)\]`)

// fileProblems returns the violations of a scenario file, each naming its
// scenario, the names used twice and the scenarios whose input does not fit
// their call.
func fileProblems(schema map[string]any, doc any) []string {
	var scenarios []any
	if top, ok := doc.(map[string]any); ok {
		scenarios, _ = top["scenarios"].([]any)
	}
	nameOf := func(i int) string {
		if i < len(scenarios) {
			if s, ok := scenarios[i].(map[string]any); ok {
				if name, ok := s["name"].(string); ok {
					return name
				}
			}
		}
		return "?"
	}
	var problems []string
	for _, e := range validate(schema, doc) {
		if m := scenarioIndex.FindStringSubmatch(e); m != nil {
			i, _ := strconv.Atoi(m[1])
			e = fmt.Sprintf("scenario %q: %s", nameOf(i), e)
		}
		problems = append(problems, e)
	}
	seen := map[string]bool{}
	for i := range scenarios {
		if s, ok := scenarios[i].(map[string]any); ok {
			if name, ok := s["name"].(string); ok {
				if seen[name] {
					problems = append(problems, fmt.Sprintf("scenario %q: the name is used twice", name))
				}
				seen[name] = true
			}
			for _, p := range inputProblems(s) {
				problems = append(problems, fmt.Sprintf("scenario %q: %s", nameOf(i), p))
			}
		}
	}
	return problems
}
