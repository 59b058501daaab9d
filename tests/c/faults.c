/* The fault matrix from C: every case of tests/contract/faults/matrix.json (a network
 * fault injected by toxiproxy between the client and engagelab-mock), with a
 * fresh client through one toxiproxy proxy, checking the category,
 * maybe_deleted, the wall time against the deadline, and that the server saw
 * at most 1 + max_retries requests. Prints one line per case and
 * "faults: N passed, N failed".
 *
 *   faults MATRIX_JSON
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock) and TOXIPROXY_URL (a
 * running toxiproxy server's API). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credentials.h"
#include "mock.h"

#define DEVICE "fault-device"
/* The API host of a case run through a proxy: never resolved, the proxy is
 * asked for it. */
#define PROXIED_HOST "push.example.invalid"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = (char *)malloc((size_t)len + 1);
    if (text != NULL && fread(text, 1, (size_t)len, f) != (size_t)len) {
        free(text);
        text = NULL;
    }
    if (text != NULL) text[len] = '\0';
    fclose(f);
    return text;
}

static uint64_t num(const cJSON *obj, const char *name) {
    return (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(obj, name));
}

static int toxi(const char *method, const char *path, const char *body) {
    char *answer = control_call(getenv("TOXIPROXY_URL"), method, path, body);
    free(answer);
    return answer == NULL ? -1 : 0;
}

/* Runs one case; 0 when every check holds (mismatches are printed). */
static int run_case(const cJSON *doc, const cJSON *c, const char *listen) {
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(c, "name"));
    const cJSON *client_cfg = cJSON_GetObjectItem(doc, "client");
    const cJSON *expect = cJSON_GetObjectItem(c, "expect");
    uint64_t timeout_ms = num(client_cfg, "timeout_ms");
    uint32_t max_retries = (uint32_t)num(client_cfg, "max_retries");
    int bad = 0;

    if (mock_reset() != 0 || mock_add_device(DEVICE) != 0 || toxi("POST", "/reset", NULL) != 0) return 1;
    const cJSON *mock_config = cJSON_GetObjectItem(c, "mock_config");
    if (mock_config != NULL) {
        char *config_text = cJSON_PrintUnformatted(mock_config);
        char *answer = control_call(mock_url(), "POST", "/__mock/config", config_text);
        free(config_text);
        if (answer == NULL) {
            fprintf(stderr, "%s: the mock refused mock_config\n", name);
            return 1;
        }
        free(answer);
    }
    if (cJSON_IsObject(cJSON_GetObjectItem(c, "toxic"))) {
        cJSON *toxic = cJSON_Duplicate(cJSON_GetObjectItem(c, "toxic"), 1);
        cJSON_AddStringToObject(toxic, "name", "fault");
        cJSON_AddNumberToObject(toxic, "toxicity", 1.0);
        char *toxic_text = cJSON_PrintUnformatted(toxic);
        int rc = toxi("POST", "/proxies/engagelab-c/toxics", toxic_text);
        free(toxic_text);
        cJSON_Delete(toxic);
        if (rc != 0) return 1;
    }

    /* Through a proxy, toxiproxy stands before the mock as a CONNECT proxy. */
    const char *through = cJSON_GetStringValue(cJSON_GetObjectItem(c, "through_proxy"));
    char url[256], proxy_url[256];
    snprintf(proxy_url, sizeof proxy_url, "http://%s", listen);
    if (through != NULL)
        snprintf(url, sizeof url, "%s://" PROXIED_HOST, through);
    else
        snprintf(url, sizeof url, "http://%s", listen);
    el_config *config = NULL;
    el_client *client = NULL;
    el_error err = EL_ERROR_INIT;
    if (el_config_new(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET, &config, &err) != EL_OK ||
        el_config_set_base_url(config, url, &err) != EL_OK ||
        (through != NULL && el_config_set_allow_insecure_http(config, true, &err) != EL_OK) ||
        (through != NULL && el_config_set_proxy(config, proxy_url, &err) != EL_OK) ||
        el_config_set_timeout_ms(config, timeout_ms, &err) != EL_OK ||
        el_config_set_connect_timeout_ms(config, num(client_cfg, "connect_timeout_ms"), &err) != EL_OK ||
        el_config_set_max_retries(config, max_retries, &err) != EL_OK ||
        el_config_set_backoff_ms(config, num(client_cfg, "backoff_base_ms"), num(client_cfg, "backoff_max_ms"), &err) != EL_OK ||
        el_client_new(config, &client, &err) != EL_OK) {
        fprintf(stderr, "%s: cannot build the client: %s\n", name, err.message);
        el_config_free(config);
        return 1;
    }
    el_config_free(config);
    double started = now_ms();
    el_status st = el_delete_device(client, DEVICE, &err);
    double took = now_ms() - started;
    el_client_free(client);
    toxi("POST", "/reset", NULL);
    struct timespec settle = {0, 50 * 1000000L};
    nanosleep(&settle, NULL);

    const char *status = st == EL_OK ? "OK" : el_status_name(st);
    const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(expect, "status"));
    if (strcmp(status, want) != 0) {
        fprintf(stderr, "%s: status %s (%s), want %s\n", name, status, st == EL_OK ? "" : err.message, want);
        bad = 1;
    }
    const cJSON *md = cJSON_GetObjectItem(expect, "maybe_deleted");
    if (md != NULL && st != EL_OK && cJSON_IsTrue(md) != err.maybe_deleted) {
        fprintf(stderr, "%s: maybe_deleted %d, want %d\n", name, err.maybe_deleted, cJSON_IsTrue(md));
        bad = 1;
    }
    double limit = (double)timeout_ms + cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "deadline_slack_ms"));
    if (took > limit) {
        fprintf(stderr, "%s: took %.0f ms, past the deadline plus slack (%.0f ms)\n", name, took, limit);
        bad = 1;
    }
    const cJSON *min = cJSON_GetObjectItem(expect, "min_elapsed_ms");
    if (min != NULL && took < cJSON_GetNumberValue(min)) {
        fprintf(stderr, "%s: took %.0f ms, less than %.0f ms\n", name, took, cJSON_GetNumberValue(min));
        bad = 1;
    }
    cJSON *log = mock_log();
    int seen = cJSON_GetArraySize(log);
    cJSON_Delete(log);
    if (seen > (int)(1 + max_retries)) {
        fprintf(stderr, "%s: the server saw %d requests, more than 1 + %u\n", name, seen, max_retries);
        bad = 1;
    }
    return bad;
}

int main(int argc, char **argv) {
    if (argc != 2 || getenv("TOXIPROXY_URL") == NULL) {
        fprintf(stderr, "usage: TOXIPROXY_URL=... ENGAGELAB_MOCK_URL=... %s MATRIX_JSON\n", argv[0]);
        return 2;
    }
    char *text = read_file(argv[1]);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (doc == NULL) {
        fprintf(stderr, "faults: cannot read %s\n", argv[1]);
        return 2;
    }
    mock_init();
    /* One proxy for the matrix, in front of the mock. */
    const char *mock = mock_url();
    const char *hostport = strstr(mock, "://") ? strstr(mock, "://") + 3 : mock;
    char body[512];
    snprintf(body, sizeof body,
             "{\"name\":\"engagelab-c\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"%s\"}", hostport);
    char *created = control_call(getenv("TOXIPROXY_URL"), "POST", "/proxies", body);
    cJSON *proxy = created ? cJSON_Parse(created) : NULL;
    free(created);
    const char *listen = proxy ? cJSON_GetStringValue(cJSON_GetObjectItem(proxy, "listen")) : NULL;
    if (listen == NULL) {
        fprintf(stderr, "faults: cannot create the toxiproxy proxy\n");
        return 2;
    }
    int passed = 0, failed = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases")) {
        if (run_case(doc, c, listen) == 0) {
            passed++;
            printf("ok    %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(c, "name")));
        } else {
            failed++;
            printf("FAIL  %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(c, "name")));
        }
    }
    toxi("DELETE", "/proxies/engagelab-c", NULL);
    cJSON_Delete(proxy);
    cJSON_Delete(doc);
    mock_cleanup();
    printf("faults: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
