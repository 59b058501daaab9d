/* The C runner of tests/contract/scenarios/bulk.json: el_delete_devices,
 * el_delete_devices_from_file and el_erase_users against engagelab-mock
 * (ENGAGELAB_MOCK_URL), with the callbacks of el_bulk_options. The file is
 * read as it is: `cargo xtask lint` checks it against
 * tests/contract/scenarios/bulk_schema.json.
 *
 * Usage: bulk_scenarios BULK.json [NAME...] */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock.h"
#include "mock_client.h"

/* The first failure of the scenario being run. */
static char failure[1024];

static int fail(const char *fmt, ...) {
    va_list ap;
    if (failure[0] == '\0') {
        va_start(ap, fmt);
        vsnprintf(failure, sizeof failure, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *string_field(const cJSON *o, const char *name, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* The names of el_bulk_error, by code. */
static const char *const BULK_ERRORS[] = {"",           "GUARD",        "DECLINED",
                                          "JOURNAL_MISMATCH", "IO",     "JOURNAL_BUSY",
                                          "WRITE_FAILED", "INVALID_ARGUMENT", "LOOKUP"};

static const char *bulk_error_name(uint32_t code) {
    return code < sizeof BULK_ERRORS / sizeof BULK_ERRORS[0] ? BULK_ERRORS[code] : "UNKNOWN";
}

/* What the callbacks of one run saw and do. */
struct run_state {
    el_cancel *token;
    const char *confirm;     /* "accept", "decline", "cancel" or NULL */
    long cancel_when_done;   /* 0: never */
    int confirmed;
    el_bulk_plan plan;
    cJSON *resolved;         /* [{"alias", "registration_ids"}] */
    int callbacks_in_flight; /* never above 1: callbacks are never concurrent */
    pthread_t caller;        /* every callback runs on the calling thread */
};

static void on_caller(const struct run_state *s, const char *what) {
    if (!pthread_equal(pthread_self(), s->caller)) {
        fail("%s ran on another thread than the caller's", what);
    }
}

static void on_progress(void *user, const el_bulk_progress *p) {
    struct run_state *s = (struct run_state *)user;
    on_caller(s, "on_progress");
    if (++s->callbacks_in_flight != 1) {
        fail("two callbacks ran at once");
    }
    if (p->size < sizeof(el_bulk_progress)) {
        fail("progress record of %zu bytes", p->size);
    }
    if (s->cancel_when_done > 0 && p->done >= (uint64_t)s->cancel_when_done) {
        el_cancel_cancel(s->token);
    }
    s->callbacks_in_flight--;
}

static bool on_confirm(void *user, const el_bulk_plan *plan) {
    struct run_state *s = (struct run_state *)user;
    on_caller(s, "confirm");
    s->confirmed++;
    s->plan = *plan;
    if (strcmp(s->confirm, "cancel") == 0) {
        el_cancel_cancel(s->token);
    }
    return strcmp(s->confirm, "decline") != 0;
}

static cJSON *id_array(const el_id_list *ids) {
    cJSON *out = cJSON_CreateArray();
    size_t i;
    for (i = 0; i < el_id_list_count(ids); i++) {
        cJSON_AddItemToArray(out, cJSON_CreateString(el_id_list_get(ids, i)));
    }
    return out;
}

static void on_resolved(void *user, const char *alias, const el_id_list *ids) {
    struct run_state *s = (struct run_state *)user;
    cJSON *entry = cJSON_CreateObject();
    on_caller(s, "on_resolved");
    cJSON_AddStringToObject(entry, "alias", alias);
    cJSON_AddItemToObject(entry, "registration_ids", id_array(ids));
    cJSON_AddItemToArray(s->resolved, entry);
}

/* The strings of `array` joined after sorting: a multiset as one text. */
static int cmp_text(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *multiset(char **items, int n) {
    size_t len = 1;
    int i;
    char *out;
    qsort(items, (size_t)n, sizeof *items, cmp_text);
    for (i = 0; i < n; i++) {
        len += strlen(items[i]) + 2;
    }
    out = (char *)calloc(1, len);
    for (i = 0; i < n; i++) {
        strcat(out, items[i]);
        strcat(out, "; ");
    }
    return out;
}

static void free_items(char **items, int n) {
    int i;
    for (i = 0; i < n; i++) {
        free(items[i]);
    }
    free(items);
}

static char *pair(const char *a, const char *b) {
    char *out = (char *)malloc(strlen(a) + strlen(b) + 2);
    sprintf(out, "%s %s", a, b);
    return out;
}

static void compare_multisets(const char *what, char **want, int nwant, char **got, int ngot) {
    char *w = multiset(want, nwant), *g = multiset(got, ngot);
    if (strcmp(w, g) != 0) {
        fail("%s: expected [%s], got [%s]", what, w, g);
    }
    free(w);
    free(g);
}

/* The lines of `path` from line `from` on, parsed; NULL entries are skipped. */
static cJSON *json_lines(const char *path, int from, int *total) {
    FILE *f = fopen(path, "r");
    cJSON *out = cJSON_CreateArray();
    char line[8192];
    int n = 0;
    if (f == NULL) {
        *total = 0;
        return out;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (n++ >= from) {
            cJSON *v = cJSON_Parse(line);
            if (v != NULL) {
                cJSON_AddItemToArray(out, v);
            }
        }
    }
    fclose(f);
    *total = n;
    return out;
}

static void check_count(const cJSON *want, const char *name, uint64_t got) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(want, name);
    if (v != NULL && (uint64_t)v->valuedouble != got) {
        fail("summary.%s: expected %.0f, got %llu", name, v->valuedouble, (unsigned long long)got);
    }
}

static void check_flag(const cJSON *want, const char *where, const char *name, bool got) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(want, name);
    if (v != NULL && cJSON_IsTrue(v) != got) {
        fail("%s.%s: expected %s", where, name, got ? "false" : "true");
    }
}

static void check_summary(const cJSON *want, const el_bulk_summary *s) {
    if (want == NULL) {
        return;
    }
    check_count(want, "entries", s->entries);
    check_count(want, "ids", s->ids);
    check_count(want, "deleted", s->deleted);
    check_count(want, "not_found", s->not_found);
    check_count(want, "failed", s->failed);
    check_count(want, "invalid", s->invalid);
    check_count(want, "duplicate", s->duplicate);
    check_count(want, "already_done", s->already_done);
    check_count(want, "would_delete", s->would_delete);
    check_count(want, "not_started", s->not_started);
    check_count(want, "rate_limited", s->rate_limited);
    check_flag(want, "summary", "interrupted", s->interrupted);
    check_flag(want, "summary", "dry_run", s->dry_run);
    check_flag(want, "summary", "stopped", s->stopped[0] != '\0');
}

static void check_requests(const cJSON *want, int from) {
    cJSON *log = mock_log();
    int n = log ? cJSON_GetArraySize(log) - from : 0, nwant = cJSON_GetArraySize(want), i = 0;
    char **got, **exp;
    const cJSON *r;
    if (log == NULL) {
        fail("cannot read the mock's log");
        return;
    }
    got = (char **)calloc((size_t)n + 1, sizeof *got);
    exp = (char **)calloc((size_t)nwant + 1, sizeof *exp);
    for (i = 0; i < n; i++) {
        r = cJSON_GetArrayItem(log, from + i);
        got[i] = pair(string_field(r, "method", "?"), string_field(r, "path", "?"));
    }
    i = 0;
    cJSON_ArrayForEach(r, want) {
        exp[i++] = pair(string_field(r, "method", ""), string_field(r, "path", ""));
    }
    compare_multisets("requests", exp, nwant, got, n);
    free_items(got, n);
    free_items(exp, nwant);
    cJSON_Delete(log);
}

static void check_report(const cJSON *want, const char *path, int *seen) {
    int total, n = 0, nwant = cJSON_GetArraySize(want), i = 0;
    cJSON *lines = json_lines(path, *seen, &total);
    char **got = (char **)calloc((size_t)cJSON_GetArraySize(lines) + 1, sizeof(char *));
    char **exp = (char **)calloc((size_t)nwant + 1, sizeof(char *));
    const cJSON *l;
    cJSON_ArrayForEach(l, lines) {
        if (cJSON_GetObjectItemCaseSensitive(l, "outcome") != NULL) {
            got[n++] = pair(string_field(l, "registration_id", "?"), string_field(l, "outcome", "?"));
        }
    }
    cJSON_ArrayForEach(l, want) {
        exp[i++] = pair(string_field(l, "registration_id", ""), string_field(l, "outcome", ""));
    }
    if (want != NULL) {
        compare_multisets("report", exp, nwant, got, n);
    }
    free_items(got, n);
    free_items(exp, nwant);
    cJSON_Delete(lines);
    *seen = total;
}

static void check_backup(const cJSON *want, const char *path, int *seen) {
    int total, n = 0, nwant = cJSON_GetArraySize(want), i = 0;
    cJSON *lines = json_lines(path, *seen, &total);
    char **got = (char **)calloc((size_t)cJSON_GetArraySize(lines) + 1, sizeof(char *));
    char **exp = (char **)calloc((size_t)nwant + 1, sizeof(char *));
    const cJSON *l;
    cJSON_ArrayForEach(l, lines) {
        got[n++] = pair(string_field(l, "registration_id", "?"), "");
    }
    cJSON_ArrayForEach(l, want) {
        exp[i++] = pair(l->valuestring, "");
    }
    if (want != NULL) {
        compare_multisets("backup", exp, nwant, got, n);
    }
    free_items(got, n);
    free_items(exp, nwant);
    cJSON_Delete(lines);
    *seen = total;
}

static void check_json(const char *what, const cJSON *want, const cJSON *got) {
    if (want != NULL && !cJSON_Compare(want, got, 1)) {
        char *w = cJSON_PrintUnformatted(want), *g = cJSON_PrintUnformatted(got);
        fail("%s: expected %s, got %s", what, w, g);
        free(w);
        free(g);
    }
}

static void check_users(const cJSON *want, const el_erasure *erasure) {
    cJSON *got = cJSON_CreateArray();
    size_t i;
    for (i = 0; i < el_erasure_user_count(erasure); i++) {
        cJSON *u = cJSON_CreateObject();
        const el_id_list *bound = el_erasure_still_bound(erasure, i);
        cJSON_AddStringToObject(u, "alias", el_erasure_alias(erasure, i));
        cJSON_AddItemToObject(u, "registration_ids", id_array(el_erasure_registration_ids(erasure, i)));
        cJSON_AddItemToObject(u, "still_bound", bound ? id_array(bound) : cJSON_CreateNull());
        cJSON_AddItemToArray(got, u);
    }
    check_json("users", want, got);
    cJSON_Delete(got);
}

static void check_store(const cJSON *ids, int present) {
    const cJSON *id;
    cJSON_ArrayForEach(id, ids) {
        if (mock_has_device(id->valuestring) != present) {
            fail("device %s: expected %s", id->valuestring, present ? "in the store" : "gone");
        }
    }
}

static const char **string_array(const cJSON *input, size_t *count) {
    const char **out = (const char **)calloc((size_t)cJSON_GetArraySize(input) + 1, sizeof(char *));
    const cJSON *s;
    *count = 0;
    cJSON_ArrayForEach(s, input) {
        out[(*count)++] = s->valuestring;
    }
    return out;
}

/* One run of a scenario; `files` counts the lines of the report and backup
 * seen by earlier runs. */
static void run_once(el_client *client, const char *call, const cJSON *run, const char *dir,
                     int *report_seen, int *backup_seen) {
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(run, "settings");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(run, "expect");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(run, "input"), *v, *s;
    el_bulk_options options = EL_BULK_OPTIONS_INIT;
    el_bulk_summary summary = EL_BULK_SUMMARY_INIT;
    el_error err = EL_ERROR_INIT;
    el_erasure *erasure = NULL;
    struct run_state state;
    char journal[512], backup[512], report[512], file[512];
    const char *want_status = string_field(expect, "status", "OK");
    const char *want_error = string_field(expect, "error", "");
    el_status st;
    size_t count;
    const char **items = string_array(input, &count);
    int log_before = mock_request_count();

    memset(&state, 0, sizeof state);
    state.resolved = cJSON_CreateArray();
    state.caller = pthread_self();
    if (el_cancel_new(&state.token) != EL_OK) {
        fail("el_cancel_new failed");
        return;
    }
    state.confirm = string_field(run, "confirm", NULL);
    v = cJSON_GetObjectItemCaseSensitive(run, "cancel_when_done");
    state.cancel_when_done = v ? (long)v->valuedouble : 0;
    snprintf(journal, sizeof journal, "%s/journal", dir);
    snprintf(backup, sizeof backup, "%s/backup.jsonl", dir);
    snprintf(report, sizeof report, "%s/report.jsonl", dir);
    snprintf(file, sizeof file, "%s/input.txt", dir);

    if ((v = cJSON_GetObjectItemCaseSensitive(settings, "qps")) != NULL) options.qps = (uint32_t)v->valuedouble;
    if ((v = cJSON_GetObjectItemCaseSensitive(settings, "concurrency")) != NULL)
        options.concurrency = (uint32_t)v->valuedouble;
    if ((v = cJSON_GetObjectItemCaseSensitive(settings, "max_deletions")) != NULL)
        options.max_deletions = (uint64_t)v->valuedouble;
    options.dry_run = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(settings, "dry_run"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(settings, "journal"))) options.journal = journal;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(settings, "backup"))) options.backup = backup;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(settings, "report"))) options.report = report;
    options.on_progress = on_progress;
    options.confirm = state.confirm ? on_confirm : NULL;
    options.on_resolved = on_resolved;
    options.user_data = &state;
    options.cancel = state.token;

    if (strcmp(call, "erase_users") == 0) {
        st = el_erase_users(client, items, count, &options, &erasure, &err);
        if (erasure == NULL) {
            fail("el_erase_users gave no erasure (%s)", err.message);
        } else if (el_erasure_summary(erasure, &summary) != EL_OK) {
            fail("el_erasure_summary failed");
        }
    } else if (strcmp(call, "delete_devices_from_file") == 0) {
        if (input != NULL) {
            FILE *f = fopen(file, "w");
            cJSON_ArrayForEach(s, input) {
                fprintf(f, "%s\n", s->valuestring);
            }
            fclose(f);
        } else {
            snprintf(file, sizeof file, "%s/no-such-file.txt", dir);
        }
        st = el_delete_devices_from_file(client, file, &options, &summary, &err);
    } else {
        st = el_delete_devices(client, items, count, &options, &summary, &err);
    }

    if (strcmp(el_status_name(st), want_status) != 0) {
        fail("status: expected %s, got %s (%s)", want_status, el_status_name(st), st ? err.message : "");
    }
    if (strcmp(bulk_error_name(summary.error), want_error) != 0) {
        fail("error: expected \"%s\", got \"%s\" (%s)", want_error, bulk_error_name(summary.error),
             st ? err.message : "");
    }
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(expect, "message_contains")) {
        if (st == EL_OK || strstr(err.message, v->valuestring) == NULL) {
            fail("message \"%s\" lacks \"%s\"", st ? err.message : "", v->valuestring);
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(expect, "plan")) != NULL) {
        if (state.confirmed != 1) {
            fail("confirm was called %d times", state.confirmed);
        }
        check_count(v, "entries", state.plan.entries);
        check_count(v, "ids", state.plan.ids);
        check_flag(v, "plan", "dry_run", state.plan.dry_run);
    }
    check_summary(cJSON_GetObjectItemCaseSensitive(expect, "summary"), &summary);
    check_report(cJSON_GetObjectItemCaseSensitive(expect, "report"), report, report_seen);
    check_backup(cJSON_GetObjectItemCaseSensitive(expect, "backup"), backup, backup_seen);
    if ((v = cJSON_GetObjectItemCaseSensitive(expect, "requests")) != NULL) {
        check_requests(v, log_before);
    }
    check_json("resolved", cJSON_GetObjectItemCaseSensitive(expect, "resolved"), state.resolved);
    if ((v = cJSON_GetObjectItemCaseSensitive(expect, "users")) != NULL) {
        check_users(v, erasure);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(expect, "is_success")) != NULL &&
        cJSON_IsTrue(v) != el_erasure_is_success(erasure)) {
        fail("is_success: expected %s", cJSON_IsTrue(v) ? "true" : "false");
    }
    check_store(cJSON_GetObjectItemCaseSensitive(expect, "device_remains"), 1);
    check_store(cJSON_GetObjectItemCaseSensitive(expect, "device_gone"), 0);

    el_erasure_free(erasure);
    el_cancel_free(state.token);
    cJSON_Delete(state.resolved);
    free((void *)items);
}

static void remove_dir(const char *dir) {
    const char *names[] = {"journal", "journal.lock", "backup.jsonl", "report.jsonl", "input.txt"};
    char path[512];
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    if (rmdir(dir) != 0) {
        fprintf(stderr, "note: %s left behind\n", dir);
    }
}

static int run_scenario(el_client *client, const cJSON *sc) {
    const cJSON *seed, *script, *run;
    char dir[] = "/tmp/el-bulk-XXXXXX";
    int report_seen = 0, backup_seen = 0, index = 0;
    failure[0] = '\0';
    if (mock_reset() != 0) {
        return fail("cannot reset the mock");
    }
    cJSON_ArrayForEach(seed, cJSON_GetObjectItemCaseSensitive(sc, "devices")) {
        if (mock_add_device_seed(seed) != 0) {
            return fail("cannot seed a device");
        }
    }
    cJSON_ArrayForEach(script, cJSON_GetObjectItemCaseSensitive(sc, "scripts")) {
        char *body = cJSON_PrintUnformatted(script);
        char *answer = control_call(mock_url(), "POST", "/__mock/script", body);
        free(body);
        if (answer == NULL) {
            return fail("cannot queue a script");
        }
        free(answer);
    }
    if (mkdtemp(dir) == NULL) {
        return fail("cannot make a directory");
    }
    cJSON_ArrayForEach(run, cJSON_GetObjectItemCaseSensitive(sc, "runs")) {
        char before[sizeof failure + 32];
        index++;
        run_once(client, string_field(sc, "call", ""), run, dir, &report_seen, &backup_seen);
        if (failure[0] != '\0' && strncmp(failure, "run ", 4) != 0) {
            snprintf(before, sizeof before, "run %d: %s", index, failure);
            memcpy(failure, before, sizeof failure - 1);
            failure[sizeof failure - 1] = '\0';
        }
    }
    remove_dir(dir);
    return failure[0] == '\0' ? 0 : -1;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *text;
    long size;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f) fclose(f);
        return NULL;
    }
    text = (char *)malloc((size_t)size + 1);
    if (fread(text, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        fclose(f);
        return NULL;
    }
    text[size] = '\0';
    fclose(f);
    return text;
}

static cJSON *read_json(const char *path) {
    char *text = read_file(path);
    cJSON *json = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (json == NULL) {
        fprintf(stderr, "cannot read %s as JSON\n", path);
    }
    return json;
}

int main(int argc, char **argv) {
    cJSON *root;
    const cJSON *scenario;
    el_client *client;
    int passed = 0, failed = 0, i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s BULK.json [NAME...]\n", argv[0]);
        return 2;
    }
    if ((root = read_json(argv[1])) == NULL) {
        return 2;
    }
    mock_init();
    client = mock_client();
    cJSON_ArrayForEach(scenario, cJSON_GetObjectItemCaseSensitive(root, "scenarios")) {
        const char *name = string_field(scenario, "name", "?");
        int selected = argc == 2;
        for (i = 2; i < argc; i++) {
            selected |= strcmp(argv[i], name) == 0;
        }
        if (!selected) {
            continue;
        }
        if (run_scenario(client, scenario) == 0) {
            passed++;
            printf("ok      %s\n", name);
        } else {
            failed++;
            printf("FAIL    %s: %s\n", name, failure);
        }
        fflush(stdout);
    }
    el_client_free(client);
    cJSON_Delete(root);
    mock_cleanup();
    printf("bulk scenarios: %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
