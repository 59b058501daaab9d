/* See mock.h. */
#include "mock.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buffer {
    char *data;
    size_t len;
};

static CURL *curl;

const char *mock_url(void) {
    const char *url = getenv("ENGAGELAB_MOCK_URL");
    if (url == NULL || url[0] == '\0') {
        fprintf(stderr, "ENGAGELAB_MOCK_URL is not set (start engagelab-mock, see `cargo xtask test c`)\n");
        exit(2);
    }
    return url;
}

void mock_init(void) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (curl = curl_easy_init()) == NULL) {
        fprintf(stderr, "cannot initialise libcurl\n");
        exit(2);
    }
}

void mock_cleanup(void) {
    curl_easy_cleanup(curl);
    curl = NULL;
    curl_global_cleanup();
}

static size_t collect(char *data, size_t size, size_t n, void *user) {
    struct buffer *b = (struct buffer *)user;
    size_t add = size * n;
    char *grown = (char *)realloc(b->data, b->len + add + 1);
    if (grown == NULL) {
        return 0;
    }
    memcpy(grown + b->len, data, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* Calls the control API; returns the body on HTTP 200 (free it), else NULL. */
static char *call(const char *method, const char *path, const char *body) {
    return control_call(mock_url(), method, path, body);
}

char *control_call(const char *base_url, const char *method, const char *path, const char *body) {
    char url[512];
    struct buffer b = {NULL, 0};
    long status = 0;
    struct curl_slist *headers = NULL;
    CURLcode rc;

    snprintf(url, sizeof url, "%s%s", base_url, path);
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    if (body != NULL) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    }
    rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK || status < 200 || status > 299) {
        fprintf(stderr, "mock: %s %s failed: %s, HTTP %ld: %s\n", method, path,
                curl_easy_strerror(rc), status, b.data ? b.data : "");
        free(b.data);
        return NULL;
    }
    if (b.data == NULL) {
        b.data = (char *)calloc(1, 1);
    }
    return b.data;
}

static int post(const char *path, const char *body) {
    char *answer = call("POST", path, body);
    free(answer);
    return answer == NULL ? -1 : 0;
}

int mock_reset(void) { return post("/__mock/reset", "{}"); }

int mock_add_device(const char *registration_id) {
    cJSON *o = cJSON_CreateObject();
    char *body;
    int rc;
    cJSON_AddStringToObject(o, "registration_id", registration_id);
    body = cJSON_PrintUnformatted(o);
    rc = post("/__mock/devices", body);
    cJSON_free(body);
    cJSON_Delete(o);
    return rc;
}

int mock_add_device_seed(const cJSON *seed) {
    char *body;
    int rc;
    if (cJSON_IsString(seed)) {
        return mock_add_device(seed->valuestring);
    }
    body = cJSON_PrintUnformatted(seed);
    rc = body ? post("/__mock/devices", body) : -1;
    cJSON_free(body);
    return rc;
}

int mock_add_device_json(const char *json) {
    cJSON *seed = cJSON_Parse(json);
    int rc = seed ? mock_add_device_seed(seed) : -1;
    cJSON_Delete(seed);
    return rc;
}

/* POST /__mock/script {key: value, "responses": responses}. */
static int script_under(const char *key, const char *value, const cJSON *responses) {
    cJSON *o = cJSON_CreateObject();
    char *body;
    int rc;
    cJSON_AddStringToObject(o, key, value);
    cJSON_AddItemToObject(o, "responses", cJSON_Duplicate(responses, 1));
    body = cJSON_PrintUnformatted(o);
    rc = post("/__mock/script", body);
    cJSON_free(body);
    cJSON_Delete(o);
    return rc;
}

int mock_script(const char *registration_id, const cJSON *responses) {
    return script_under("registration_id", registration_id, responses);
}

int mock_script_alias(const char *alias, const cJSON *responses) {
    return script_under("alias", alias, responses);
}

/* GET path and detach the array `field` of the answer. */
static cJSON *get_array(const char *path, const char *field) {
    char *answer = call("GET", path, NULL);
    cJSON *root, *array;
    if (answer == NULL) {
        return NULL;
    }
    root = cJSON_Parse(answer);
    free(answer);
    array = cJSON_DetachItemFromObjectCaseSensitive(root, field);
    cJSON_Delete(root);
    if (!cJSON_IsArray(array)) {
        cJSON_Delete(array);
        return NULL;
    }
    return array;
}

cJSON *mock_log(void) { return get_array("/__mock/log", "requests"); }

int mock_request_count(void) {
    cJSON *log = mock_log();
    int n = log ? cJSON_GetArraySize(log) : -1;
    cJSON_Delete(log);
    return n;
}

cJSON *mock_devices(void) { return get_array("/__mock/devices", "registration_ids"); }

int mock_has_device(const char *registration_id) {
    cJSON *ids = mock_devices(), *id;
    int found = 0;
    if (ids == NULL) {
        return -1;
    }
    cJSON_ArrayForEach(id, ids) {
        if (cJSON_IsString(id) && strcmp(id->valuestring, registration_id) == 0) {
            found = 1;
        }
    }
    cJSON_Delete(ids);
    return found;
}

int valid_utf8(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n;
        unsigned long cp;
        if (*p < 0x80) {
            p++;
            continue;
        } else if ((*p & 0xE0) == 0xC0) {
            n = 1;
            cp = *p & 0x1F;
        } else if ((*p & 0xF0) == 0xE0) {
            n = 2;
            cp = *p & 0x0F;
        } else if ((*p & 0xF8) == 0xF0) {
            n = 3;
            cp = *p & 0x07;
        } else {
            return 0;
        }
        p++;
        while (n-- > 0) {
            if ((*p & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (*p & 0x3F);
            p++;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
    }
    return 1;
}
