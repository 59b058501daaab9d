/* The bulk benchmark's C client: one `el_delete_devices_from_file` run.
 *
 *   el_bulk IDS_FILE QPS REPORT
 *
 * The client from the environment (ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET,
 * ENGAGELAB_BASE_URL), as every bulk bench client of bench/bulk.py. The figures
 * come from the run's own summary, the report's last line; exits 1 when the
 * run did not succeed. */
#include <stdio.h>
#include <stdlib.h>

#include "engagelab_push.h"

int main(int argc, char **argv) {
    el_config *config = NULL;
    el_client *client = NULL;
    el_error err = EL_ERROR_INIT;
    el_bulk_options options = EL_BULK_OPTIONS_INIT;
    el_bulk_summary summary = EL_BULK_SUMMARY_INIT;

    if (argc != 4) {
        fprintf(stderr, "usage: %s IDS_FILE QPS REPORT\n", argv[0]);
        return 2;
    }
    if (el_config_from_env(&config, &err) != EL_OK || el_client_new(config, &client, &err) != EL_OK) {
        fprintf(stderr, "el_bulk: %s\n", err.message);
        el_config_free(config);
        return 2;
    }
    el_config_free(config);
    options.qps = (uint32_t)strtoul(argv[2], NULL, 10);
    options.max_deletions = 100000000;
    options.report = argv[3];
    if (el_delete_devices_from_file(client, argv[1], &options, &summary, &err) != EL_OK) {
        fprintf(stderr, "el_bulk: %s: %s\n", el_status_name(err.status), err.message);
        el_client_free(client);
        return 1;
    }
    el_client_free(client);
    return summary.failed == 0 && !summary.interrupted ? 0 : 1;
}
