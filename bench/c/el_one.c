/* The smallest C program that deletes one device through libengagelab_push:
 * for the footprint table (peak RSS of a whole process doing one delete).
 *
 *   el_one BASE_URL [CA_FILE|-]
 *
 * Prints {"impl":"c-abi one delete","maxrss_kb":...}; exits 1 on failure. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "engagelab_push.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BASE_URL [CA_FILE|-]\n", argv[0]);
        return 2;
    }
    el_config *config = NULL;
    el_client *client = NULL;
    el_error err = EL_ERROR_INIT;
    if (el_config_new("bench-app-key", "bench-master-secret", &config, NULL) != EL_OK ||
        el_config_set_base_url(config, argv[1], NULL) != EL_OK ||
        (argc > 2 && strcmp(argv[2], "-") != 0 && el_config_set_ca_file(config, argv[2], NULL) != EL_OK) ||
        el_client_new(config, &client, &err) != EL_OK) {
        fprintf(stderr, "el_one: could not build the client\n");
        return 1;
    }
    el_config_free(config);
    uint32_t st = el_delete_device(client, "bench-device-0001", &err);
    el_client_free(client);
    if (st != EL_OK) {
        fprintf(stderr, "el_one: %s: %s\n", el_status_name(st), err.message);
        return 1;
    }
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    printf("{\"impl\":\"c-abi one delete\",\"maxrss_kb\":%ld}\n", r.ru_maxrss);
    return 0;
}
