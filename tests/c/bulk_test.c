/* The bulk C ABI beyond the shared scenarios: NULL and size checks, an
 * older (shorter) el_bulk_summary and el_bulk_options, the erasure's
 * accessors on bad indexes. Needs ENGAGELAB_MOCK_URL (a running
 * engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mock.h"
#include "mock_client.h"

/* el_bulk_summary as a header that ended at `elapsed_ms` would declare it,
 * then bytes the library must never touch. */
struct old_summary {
    size_t size;
    uint32_t error;
    uint64_t counts[12];
};
struct guarded_summary {
    struct old_summary s;
    unsigned char guard[64];
};

/* el_bulk_options as a header that ended at `dry_run` would declare it. */
struct old_options {
    size_t size;
    uint32_t qps;
    uint32_t concurrency;
    uint64_t max_deletions;
    bool dry_run;
};

static void null_and_size_checks(el_client *client) {
    el_bulk_summary summary = EL_BULK_SUMMARY_INIT;
    el_bulk_options options = EL_BULK_OPTIONS_INIT;
    el_error err = EL_ERROR_INIT;
    el_erasure *erasure = NULL;
    const char *ids[] = {"x", NULL};

    CHECK_STATUS(el_delete_devices(NULL, ids, 1, NULL, &summary, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "client is NULL");
    CHECK_STATUS(el_delete_devices(client, ids, 2, NULL, &summary, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "ids[1] is NULL");
    CHECK_STATUS(el_delete_devices(client, NULL, 3, NULL, &summary, &err), EL_INVALID_ARGUMENT);
    CHECK_STATUS(el_delete_devices(client, ids, 1, NULL, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "out_summary is NULL");
    summary.size = 0;
    CHECK_STATUS(el_delete_devices(client, ids, 1, NULL, &summary, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "EL_BULK_SUMMARY_INIT");
    summary.size = sizeof summary;
    options.size = 0;
    CHECK_STATUS(el_delete_devices(client, ids, 1, &options, &summary, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "EL_BULK_OPTIONS_INIT");
    CHECK_STATUS(el_delete_devices_from_file(client, NULL, NULL, &summary, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "path is NULL");
    CHECK_STATUS(el_erase_users(client, ids, 2, NULL, &erasure, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "aliases[1] is NULL");
    CHECK(erasure == NULL);
    /* A bad alias is the run's refusal: an erasure comes back saying so. */
    {
        const char *bad[] = {"a/b"};
        CHECK_STATUS(el_erase_users(client, bad, 1, NULL, &erasure, &err), EL_INVALID_ARGUMENT);
        CHECK(erasure != NULL);
        CHECK(el_erasure_summary(erasure, &summary) == EL_OK);
        CHECK(summary.error == EL_BULK_INVALID_ARGUMENT);
        /* A record whose size was not set is refused, as el_delete_devices refuses it. */
        {
            el_bulk_summary unsized = EL_BULK_SUMMARY_INIT;
            unsized.size = 0;
            CHECK_STATUS(el_erasure_summary(erasure, &unsized), EL_INVALID_ARGUMENT);
        }
        CHECK(el_erasure_user_count(erasure) == 0);
        CHECK(el_erasure_alias(erasure, 0) == NULL);
        CHECK(el_erasure_registration_ids(erasure, 0) == NULL);
        CHECK(el_erasure_still_bound(erasure, 0) == NULL);
        CHECK(!el_erasure_verify_error(erasure, 0, &err));
        CHECK(!el_erasure_is_success(erasure));
        el_erasure_free(erasure);
    }
    el_erasure_free(NULL);
}

static void older_records(el_client *client) {
    struct guarded_summary old;
    struct old_options options;
    el_error err = EL_ERROR_INIT;
    const char *ids[] = {"abi-1", "abi-2", "abi-1"};
    size_t i;

    CHECK(mock_reset() == 0);
    CHECK(mock_add_device("abi-1") == 0);
    memset(&old, 0xAB, sizeof old);
    old.s.size = sizeof old.s;
    memset(&options, 0, sizeof options);
    options.size = sizeof options;
    options.dry_run = true;
    CHECK_STATUS(el_delete_devices(client, ids, 3, (const el_bulk_options *)(const void *)&options,
                                   (el_bulk_summary *)(void *)&old.s, &err),
                 EL_OK);
    CHECK(old.s.error == EL_BULK_OK);
    CHECK(old.s.counts[0] == 3); /* entries */
    CHECK(old.s.counts[1] == 2); /* ids */
    CHECK(old.s.counts[2] == 0); /* deleted: a dry run */
    CHECK(old.s.counts[6] == 1); /* duplicate */
    CHECK(old.s.counts[8] == 2); /* would_delete */
    for (i = 0; i < sizeof old.guard; i++) {
        CHECK(old.guard[i] == 0xAB);
    }
    CHECK(mock_request_count() == 0);
    CHECK(mock_has_device("abi-1") == 1);
}

/* stall_timeout_ms reaches the engine: at a quota of 0 requests/s, with no
 * id ever settled, the run stops after it (the default would wait five
 * minutes) and says why in `stopped`. */
static void stall_timeout(el_client *client) {
    el_bulk_options options = EL_BULK_OPTIONS_INIT;
    el_bulk_summary summary = EL_BULK_SUMMARY_INIT;
    el_error err = EL_ERROR_INIT;
    const char *ids[] = {"stall-1", "stall-2"};
    char *answer;

    CHECK(mock_reset() == 0);
    CHECK(mock_add_device("stall-1") == 0);
    CHECK(mock_add_device("stall-2") == 0);
    answer = control_call(mock_url(), "POST", "/__mock/config", "{\"rate_limit_qps\": 0}");
    CHECK(answer != NULL);
    free(answer);
    options.qps = 50;
    options.stall_timeout_ms = 300;
    CHECK_STATUS(el_delete_devices(client, ids, 2, &options, &summary, &err), EL_OK);
    CHECK(summary.error == EL_BULK_OK);
    CHECK(strstr(summary.stopped, "rate-limited with no device deleted") != NULL);
    CHECK(summary.deleted == 0 && summary.rate_limited > 0);
    CHECK(mock_has_device("stall-1") == 1 && mock_has_device("stall-2") == 1);
    CHECK(mock_reset() == 0);
}

/* A message longer than the record's 255 bytes keeps its start and its end
 * (where the core puts the cause of a file failure: "cannot open the journal
 * PATH: No such file or directory"), joined by an ellipsis, in el_error.message
 * and in el_error_describe's sentence (rebuilt from the record): a long path
 * must not hide whether the directory is missing or not writable. */
static void long_path_keeps_the_cause(el_client *client) {
    char path[400] = "/tmp/engagelab-c-test-no-such-dir/";
    const char *ids[] = {"long-path-1"};
    el_bulk_options options = EL_BULK_OPTIONS_INIT;
    el_bulk_summary summary = EL_BULK_SUMMARY_INIT;
    el_error err = EL_ERROR_INIT;
    char why[2048];

    while (strlen(path) < 300) strcat(path, "abcdefghij/");
    strcat(path, "run.journal");
    options.journal = path;
    CHECK_STATUS(el_delete_devices(client, ids, 1, &options, &summary, &err), EL_INVALID_ARGUMENT);
    CHECK(summary.error == EL_BULK_IO);
    CHECK_CONTAINS(err.message, "cannot open the journal");
    CHECK_CONTAINS(err.message, "No such file or directory");
    CHECK_CONTAINS(err.message, "\xe2\x80\xa6");
    CHECK(strlen(err.message) <= 255);
    el_error_describe(&err, why, sizeof why);
    CHECK_CONTAINS(why, "No such file or directory");
}

int main(void) {
    el_client *client;
    mock_init();
    client = mock_client();
    null_and_size_checks(client);
    older_records(client);
    stall_timeout(client);
    long_path_keeps_the_cause(client);
    el_client_free(client);
    mock_cleanup();
    printf("bulk_test: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
