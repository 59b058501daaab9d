/* The C ABI (libengagelab_push) called from C: one el_client, one
 * el_delete_device per call. Same arguments and output as every bench client
 * (see bench_common.h). */
#include "bench_common.h"

#include "engagelab_push.h"

static el_client *client;
static int reported;

int bench_call(void) {
    el_error err = EL_ERROR_INIT;
    uint32_t st = el_delete_device(client, BENCH_DEVICE, &err);
    if (st != EL_OK) {
        if (!reported++)
            fprintf(stderr, "el_bench: call failed: %s: %s\n", el_status_name(st), err.message);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    struct bench_args a;
    if (bench_parse(argc, argv, &a)) return 2;

    el_config *config = NULL;
    el_error err = EL_ERROR_INIT;
    if (el_config_new("bench-app-key", "bench-master-secret", &config, NULL) != EL_OK ||
        el_config_set_base_url(config, a.base_url, NULL) != EL_OK ||
        el_config_set_max_retries(config, 0, NULL) != EL_OK ||
        (a.ca_file && el_config_set_ca_file(config, a.ca_file, NULL) != EL_OK)) {
        fprintf(stderr, "el_bench: configuring failed\n");
        return 1;
    }
    if (el_client_new(config, &client, &err) != EL_OK) {
        fprintf(stderr, "el_bench: el_client_new: %s\n", err.message);
        return 1;
    }
    el_config_free(config);

    int rc = bench_run("c-abi", &a);
    el_client_free(client);
    return rc;
}
