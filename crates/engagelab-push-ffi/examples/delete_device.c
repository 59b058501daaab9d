/* Deletes one device by registration id.
 *
 *   ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... delete_device REGISTRATION_ID
 *
 * Optional: ENGAGELAB_REGION (a region's short name) or ENGAGELAB_BASE_URL.
 * Exits 0 when the device was deleted, 1 when the call failed, 2 on bad usage.
 * Deleting is irreversible: check the device's tags and alias first. */
#include <engagelab_push.h>

#include <stdio.h>
#include <stdlib.h>

static const char *env(const char *name) {
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

int main(int argc, char **argv) {
    const char *region = env("ENGAGELAB_REGION"), *base_url = env("ENGAGELAB_BASE_URL");
    el_config *config = NULL;
    el_client *client = NULL;
    el_error err = EL_ERROR_INIT;
    uint32_t status;
    char why[1024];

    if (argc != 2) {
        fprintf(stderr, "usage: %s REGISTRATION_ID\n", argv[0]);
        return 2;
    }
    /* NULL credentials (unset variables) are reported by el_config_new. */
    status = el_config_new(env("ENGAGELAB_APP_KEY"), env("ENGAGELAB_MASTER_SECRET"), &config, NULL);
    if (status != EL_OK) {
        fprintf(stderr, "error: set ENGAGELAB_APP_KEY and ENGAGELAB_MASTER_SECRET (%s)\n",
                el_status_name(status));
        return 2;
    }
    if (region != NULL && el_config_set_region(config, region, NULL) != EL_OK) {
        fprintf(stderr, "error: ENGAGELAB_REGION is not valid UTF-8\n");
        el_config_free(config);
        return 2;
    }
    if (base_url != NULL && el_config_set_base_url(config, base_url, NULL) != EL_OK) {
        fprintf(stderr, "error: ENGAGELAB_BASE_URL is not valid UTF-8\n");
        el_config_free(config);
        return 2;
    }

    status = el_client_new(config, &client, &err);
    el_config_free(config); /* the client does not need it */
    if (status == EL_OK) {
        status = el_delete_device(client, argv[1], &err);
        el_client_free(client);
    }
    if (status == EL_OK) {
        printf("c: deleted %s\n", argv[1]);
        return 0;
    }
    /* The core's sentence (what happened, the HTTP status and code, what to
     * do, whether the device may already be deleted): the same text Rust's
     * and Python's errors show. A longer one is cut, as snprintf does. */
    el_error_describe(&err, why, sizeof why);
    fprintf(stderr, "c: %s not deleted (%s): %s\n", argv[1], el_status_name(status), why);
    return 1;
}
