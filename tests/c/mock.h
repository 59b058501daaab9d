/* Test helpers: engagelab-mock's control API (/__mock/...) over libcurl, and a
 * few checks shared by the C and C++ tests. Test-only: the library itself
 * links neither libcurl nor cJSON. */
#ifndef EL_TEST_MOCK_H
#define EL_TEST_MOCK_H

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The mock's base URL from ENGAGELAB_MOCK_URL; exits the program if unset. */
const char *mock_url(void);

/* Sets up libcurl; call once before any other mock_ function. */
void mock_init(void);
/* Releases what mock_init set up. */
void mock_cleanup(void);

/* POST /__mock/reset. Returns 0 on success. */
int mock_reset(void);
/* POST /__mock/devices {"registration_id": id}. Returns 0 on success. */
int mock_add_device(const char *registration_id);
/* POST /__mock/devices with a scenario's device seed: a registration id
 * (string) or an object {"registration_id", "tags", "alias", "platform"}
 * passed as it is.
 * `seed` is not consumed. Returns 0 on success. */
int mock_add_device_seed(const cJSON *seed);
/* mock_add_device_seed with the seed given as JSON text. Returns 0 on success. */
int mock_add_device_json(const char *json);
/* POST /__mock/script {"registration_id": id, "responses": responses}.
 * `responses` is not consumed. Returns 0 on success. */
int mock_script(const char *registration_id, const cJSON *responses);
/* POST /__mock/script {"alias": alias, "responses": responses}: answers for
 * GET /v4/aliases/{alias}. `responses` is not consumed. Returns 0 on success. */
int mock_script_alias(const char *alias, const cJSON *responses);
/* GET /__mock/log: the "requests" array, or NULL on failure. Free with cJSON_Delete. */
cJSON *mock_log(void);
/* The number of requests in the mock's log, or -1 on failure. */
int mock_request_count(void);
/* GET /__mock/devices: the "registration_ids" array, or NULL. Free with cJSON_Delete. */
cJSON *mock_devices(void);
/* Whether `id` is in the mock's store: 1 yes, 0 no, -1 on failure. */
int mock_has_device(const char *registration_id);

/* Calls `method` `base_url``path` with an optional JSON body (engagelab-mock's or
 * toxiproxy's control API); returns the body on a 2xx answer (free it), else
 * NULL after printing why. */
char *control_call(const char *base_url, const char *method, const char *path, const char *body);

/* Whether the NUL-terminated `s` is valid UTF-8. */
int valid_utf8(const char *s);

#ifdef __cplusplus
}
#endif

#endif
