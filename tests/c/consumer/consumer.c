/* A program built against an installed libengagelab_push, as a user would:
 * with `pkg-config --cflags --libs engagelab_push` or CMake's
 * find_package(EngageLabPush). Deletes REGISTRATION_ID at BASE_URL with the
 * mock's demo credentials; exits 0 when deleted. */
#include <engagelab_push.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    el_config *config = NULL;
    el_client *client = NULL;
    el_error err = EL_ERROR_INIT;
    uint32_t status;

    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_URL REGISTRATION_ID\n", argv[0]);
        return 2;
    }
    if (strcmp(el_version(), "") == 0) {
        return 1;
    }
    printf("engagelab_push %s (header %d.%d.%d)\n", el_version(), EL_VERSION_MAJOR,
           EL_VERSION_MINOR, EL_VERSION_PATCH);
    status = el_config_new("demo-app-key", "demo-master-secret", &config, NULL);
    if (status == EL_OK) {
        status = el_config_set_base_url(config, argv[1], NULL);
    }
    if (status == EL_OK) {
        status = el_client_new(config, &client, &err);
    }
    el_config_free(config);
    if (status == EL_OK) {
        status = el_delete_device(client, argv[2], &err);
    }
    el_client_free(client);
    printf("%s: %s\n", argv[2], el_status_name(status));
    return status == EL_OK ? 0 : 1;
}
