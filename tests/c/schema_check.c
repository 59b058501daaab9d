/* See schema_check.h. */
#define _POSIX_C_SOURCE 200809L

#include "schema_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const keywords[] = {"type", "properties", "required", "additionalProperties",
                                       "items", "enum", "$ref", "minimum",
                                       /* annotations */
                                       "$schema", "$id", "$comment", "title", "description", "$defs"};

typedef struct {
    const cJSON *root;
    schema_report report;
    void *ctx;
    int count;
} checker;

static void report(checker *c, const char *path, const char *fmt, ...) {
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    c->report(path, message, c->ctx);
    c->count++;
}

static const char *type_name(const cJSON *v) {
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsBool(v)) return "boolean";
    if (cJSON_IsString(v)) return "string";
    if (cJSON_IsArray(v)) return "array";
    if (cJSON_IsObject(v)) return "object";
    /* Doubles this large are all whole; the guard keeps the cast defined. */
    if (v->valuedouble <= -9e15 || v->valuedouble >= 9e15) return "integer";
    return (double)(long long)v->valuedouble == v->valuedouble ? "integer" : "number";
}

static int is_type(const cJSON *t, const char *got) {
    return cJSON_IsString(t) && (strcmp(t->valuestring, got) == 0 ||
                                 (strcmp(t->valuestring, "number") == 0 && strcmp(got, "integer") == 0));
}

static void check(checker *c, const cJSON *schema, const cJSON *v, const char *path) {
    const cJSON *k, *t, *e, *min, *items, *props, *extra, *item;
    char child[1024];
    size_t i;
    int n = 0, ok;
    if (!cJSON_IsObject(schema)) {
        report(c, path, "the schema here is not an object");
        return;
    }
    cJSON_ArrayForEach(k, schema) {
        for (ok = 0, i = 0; i < sizeof keywords / sizeof keywords[0]; i++) ok |= strcmp(k->string, keywords[i]) == 0;
        if (!ok) report(c, path, "schema keyword \"%s\" is not supported", k->string);
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(schema, "$ref")) != NULL) {
        const cJSON *def = NULL;
        if (cJSON_IsString(k) && strncmp(k->valuestring, "#/$defs/", 8) == 0)
            def = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c->root, "$defs"), k->valuestring + 8);
        if (def != NULL) check(c, def, v, path);
        else report(c, path, "cannot resolve $ref %s", cJSON_IsString(k) ? k->valuestring : "?");
    }
    if ((t = cJSON_GetObjectItemCaseSensitive(schema, "type")) != NULL) {
        const char *got = type_name(v);
        char want[256] = "";
        ok = is_type(t, got);
        cJSON_ArrayForEach(e, (cJSON_IsArray(t) ? t : NULL)) {
            ok |= is_type(e, got);
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", want[0] ? " or " : "",
                     cJSON_IsString(e) ? e->valuestring : "?");
        }
        if (!ok) {
            report(c, path, "expected %s, got %s", cJSON_IsString(t) ? t->valuestring : want, got);
            return;
        }
    }
    if ((e = cJSON_GetObjectItemCaseSensitive(schema, "enum")) != NULL) {
        cJSON_ArrayForEach(item, e) n |= cJSON_Compare(item, v, 1);
        if (!n) {
            char *got = cJSON_PrintUnformatted(v), *allowed = cJSON_PrintUnformatted(e);
            report(c, path, "%s is not one of %s", got, allowed);
            free(got);
            free(allowed);
        }
    }
    min = cJSON_GetObjectItemCaseSensitive(schema, "minimum");
    if (cJSON_IsNumber(min) && cJSON_IsNumber(v) && v->valuedouble < min->valuedouble)
        report(c, path, "%g is less than the minimum %g", v->valuedouble, min->valuedouble);
    if ((items = cJSON_GetObjectItemCaseSensitive(schema, "items")) != NULL && cJSON_IsArray(v)) {
        n = 0;
        cJSON_ArrayForEach(item, v) {
            snprintf(child, sizeof child, "%s[%d]", path, n++);
            check(c, items, item, child);
        }
    }
    if (!cJSON_IsObject(v)) return;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(schema, "required")) {
        if (cJSON_IsString(k) && cJSON_GetObjectItemCaseSensitive(v, k->valuestring) == NULL)
            report(c, path, "missing required key \"%s\"", k->valuestring);
    }
    props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
    cJSON_ArrayForEach(item, v) {
        const cJSON *sub = cJSON_GetObjectItemCaseSensitive(props, item->string);
        snprintf(child, sizeof child, "%s.%s", path, item->string);
        if (sub != NULL) check(c, sub, item, child);
        else if (cJSON_IsFalse(extra)) report(c, child, "unknown key");
        else if (cJSON_IsObject(extra)) check(c, extra, item, child);
    }
}

int schema_check(const cJSON *schema, const cJSON *instance, schema_report report_fn, void *ctx) {
    checker c;
    c.root = schema;
    c.report = report_fn;
    c.ctx = ctx;
    c.count = 0;
    check(&c, schema, instance, "$");
    return c.count;
}
