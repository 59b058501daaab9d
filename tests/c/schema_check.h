/* A validator for the subset of JSON Schema that tests/contract/scenarios/schema.json
 * uses: type, properties, required, additionalProperties (false or a schema),
 * items, enum, $ref to #/$defs/..., minimum. Any other keyword in the schema is
 * reported, so a rule the validator would skip cannot be added silently. The
 * Rust (crates/engagelab-push/tests/common/schema.rs) and Python
 * (python/tests/schema_check.py) runners carry the same validator. */
#ifndef EL_TEST_SCHEMA_CHECK_H
#define EL_TEST_SCHEMA_CHECK_H

#include <cjson/cJSON.h>

/* Called once per violation: `path` is like "$.scenarios[3].expect.x",
 * `message` says what is wrong ("unknown key", "expected integer, got string"). */
typedef void (*schema_report)(const char *path, const char *message, void *ctx);

/* Checks `instance` against `schema` (the root schema, whose $defs the $refs
 * name). Returns the number of violations, each passed to `report`. */
int schema_check(const cJSON *schema, const cJSON *instance, schema_report report, void *ctx);

#endif
