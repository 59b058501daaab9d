/* C tests of el_check, el_check_options, el_check_summary and the
 * el_check_report accessors:
 *   - NULL arguments are named; a bad options->device or an unset size is
 *     EL_INVALID_ARGUMENT and nothing is sent; a cancelled token is
 *     EL_CANCELLED with nothing sent;
 *   - against the default mock: credentials accepted, the unknown id's
 *     400/27002, no finding, a server clock, an address and no TLS version,
 *     the JSON of every fact; only GETs reach the mock;
 *   - a summary of an older, shorter layout is written only within its size;
 *   - a mock answering unknown ids with 404 gives the finding
 *     unknown_device_answer.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mock.h"
#include "mock_client.h"

/* Whether every request the mock logged is a GET. */
static int only_gets(void) {
    cJSON *log = mock_log();
    const cJSON *entry;
    int ok = cJSON_GetArraySize(log) > 0;
    cJSON_ArrayForEach(entry, log) {
        const cJSON *method = cJSON_GetObjectItemCaseSensitive(entry, "method");
        if (!cJSON_IsString(method) || strcmp(method->valuestring, "GET") != 0) ok = 0;
    }
    cJSON_Delete(log);
    return ok;
}

static void test_null_arguments(el_client *client) {
    el_error err = EL_ERROR_INIT;
    el_check_report *report = NULL;
    el_check_options options = EL_CHECK_OPTIONS_INIT;
    el_check_options unset;
    el_check_summary summary = EL_CHECK_SUMMARY_INIT;
    memset(&unset, 0, sizeof unset);
    CHECK_STATUS(el_check(NULL, NULL, &report, &err), EL_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "client is NULL") == 0);
    CHECK_STATUS(el_check(client, NULL, NULL, &err), EL_INVALID_ARGUMENT);
    CHECK(strcmp(err.message, "out_report is NULL") == 0);
    CHECK_STATUS(el_check(client, &unset, &report, &err), EL_INVALID_ARGUMENT);
    CHECK_CONTAINS(err.message, "EL_CHECK_OPTIONS_INIT");
    options.device = "a b";
    CHECK_STATUS(el_check(client, &options, &report, &err), EL_INVALID_ARGUMENT);
    CHECK(report == NULL);
    CHECK_STATUS(el_check_report_summary(NULL, &summary), EL_INVALID_ARGUMENT);
    CHECK(el_check_report_json(NULL) == NULL);
    CHECK(el_check_report_base_url(NULL) == NULL);
    CHECK(el_check_report_finding_code(NULL, 0) == NULL);
    el_check_report_free(NULL);
    CHECK(mock_request_count() == 0);
}

static void test_cancelled(el_client *client) {
    el_error err = EL_ERROR_INIT;
    el_check_report *report = NULL;
    el_check_options options = EL_CHECK_OPTIONS_INIT;
    el_cancel *token = NULL;
    CHECK_STATUS(el_cancel_new(&token), EL_OK);
    el_cancel_cancel(token);
    options.cancel = token;
    CHECK_STATUS(el_check(client, &options, &report, &err), EL_CANCELLED);
    CHECK(report == NULL);
    CHECK(mock_request_count() == 0);
    el_cancel_free(token);
}

static void test_default_mock(el_client *client) {
    el_error err = EL_ERROR_INIT;
    el_check_report *report = NULL;
    el_check_options options = EL_CHECK_OPTIONS_INIT;
    el_check_summary summary = EL_CHECK_SUMMARY_INIT;
    const char *json;
    CHECK(mock_add_device("c-check-dev") == 0);
    options.device = "c-check-dev";
    CHECK_STATUS(el_check(client, &options, &report, &err), EL_OK);
    if (report == NULL) return;
    CHECK_STATUS(el_check_report_summary(report, &summary), EL_OK);
    CHECK(summary.credentials_accepted);
    CHECK(summary.unknown_device_http_status == 400);
    CHECK(summary.unknown_device_api_code == 27002);
    CHECK(summary.finding_count == 0);
    CHECK(summary.has_clock_skew);
    CHECK(summary.clock_skew_s >= -30 && summary.clock_skew_s <= 30);
    CHECK(strcmp(el_check_report_base_url(report), mock_url()) == 0);
    CHECK(el_check_report_address(report) != NULL);
    CHECK(el_check_report_tls_version(report) == NULL);
    CHECK(el_check_report_finding_code(report, 0) == NULL);
    json = el_check_report_json(report);
    CHECK(json != NULL);
    if (json != NULL) {
        CHECK_CONTAINS(json, "\"kind\":\"unknown_alias\"");
        CHECK_CONTAINS(json, "\"kind\":\"device\"");
        CHECK(strstr(json, "demo-master-secret") == NULL);
    }
    el_check_report_free(report);
    /* 5 round trips on the unknown id, the alias, the device. */
    CHECK(mock_request_count() == 7);
    CHECK(only_gets());
    CHECK(mock_has_device("c-check-dev"));
}

static void test_older_summary_layout(el_client *client) {
    el_check_report *report = NULL;
    el_check_summary summary;
    CHECK_STATUS(el_check(client, NULL, &report, NULL), EL_OK);
    if (report == NULL) return;
    memset(&summary, 0xab, sizeof summary);
    summary.size = offsetof(el_check_summary, clock_skew_s);
    CHECK_STATUS(el_check_report_summary(report, &summary), EL_OK);
    CHECK(summary.finding_count == (size_t)0xabababababababab);
    CHECK(summary.clock_skew_s == (int64_t)0xabababababababab);
    el_check_report_free(report);
}

static void test_unknown_404(el_client *client) {
    el_check_report *report = NULL;
    el_check_summary summary = EL_CHECK_SUMMARY_INIT;
    char *answer = control_call(mock_url(), "POST", "/__mock/config",
        "{\"unknown_device\":{\"status\":404,\"body\":\"{\\\"error\\\":{\\\"code\\\":404,"
        "\\\"message\\\":\\\"not found\\\"}}\"}}");
    CHECK(answer != NULL);
    free(answer);
    CHECK_STATUS(el_check(client, NULL, &report, NULL), EL_OK);
    if (report == NULL) return;
    CHECK_STATUS(el_check_report_summary(report, &summary), EL_OK);
    CHECK(summary.credentials_accepted);
    CHECK(summary.unknown_device_http_status == 404);
    CHECK(summary.finding_count == 1);
    CHECK(el_check_report_finding_code(report, 0) != NULL &&
          strcmp(el_check_report_finding_code(report, 0), "unknown_device_answer") == 0);
    CHECK(el_check_report_finding_message(report, 0) != NULL);
    CHECK(el_check_report_finding_code(report, 1) == NULL);
    el_check_report_free(report);
    CHECK(only_gets());
}

int main(void) {
    el_client *client;
    mock_init();
    client = mock_client();
    CHECK(mock_reset() == 0);
    test_null_arguments(client);
    CHECK(mock_reset() == 0);
    test_cancelled(client);
    CHECK(mock_reset() == 0);
    test_default_mock(client);
    CHECK(mock_reset() == 0);
    test_older_summary_layout(client);
    CHECK(mock_reset() == 0);
    test_unknown_404(client);
    CHECK(mock_reset() == 0);
    el_client_free(client);
    mock_cleanup();
    if (failures) {
        fprintf(stderr, "check_test: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("check_test: %d checks ok\n", checks);
    return 0;
}
