/* Erases the users named as arguments (their aliases): every device bound to
 * them is backed up, deleted through the bulk engine and checked again, with a
 * report and a journal in the current directory.
 *
 *   ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... erase_users ALIAS...
 *
 * Optional: ENGAGELAB_BASE_URL. Exits 0 when every device was deleted and no
 * alias is bound any more, 1 otherwise, 2 on bad usage. */
#include <engagelab_push.h>

#include <stdio.h>
#include <stdlib.h>

static const char *env(const char *name) {
    const char *value = getenv(name);
    return value != NULL && value[0] != '\0' ? value : NULL;
}

int main(int argc, char **argv) {
    el_config *config = NULL;
    el_client *client = NULL;
    el_erasure *erasure = NULL;
    el_error err = EL_ERROR_INIT;
    el_bulk_options options = EL_BULK_OPTIONS_INIT; /* zero: the defaults */
    el_bulk_summary summary = EL_BULK_SUMMARY_INIT;
    const char *base_url = env("ENGAGELAB_BASE_URL");
    size_t i, j;
    int ok;
    char why[1024]; /* el_error_describe's sentence, cut as snprintf does */

    if (argc < 2) {
        fprintf(stderr, "usage: %s ALIAS...\n", argv[0]);
        return 2;
    }
    if (el_config_new(env("ENGAGELAB_APP_KEY"), env("ENGAGELAB_MASTER_SECRET"), &config, &err) != EL_OK ||
        (base_url != NULL && el_config_set_base_url(config, base_url, &err) != EL_OK) ||
        el_client_new(config, &client, &err) != EL_OK) {
        el_error_describe(&err, why, sizeof why);
        fprintf(stderr, "error: %s\n", why);
        el_config_free(config);
        return 2;
    }
    el_config_free(config);

    options.backup = "erased.backup.jsonl";
    options.report = "erasure.report.jsonl";
    options.journal = "erasure.journal";
    if (el_erase_users(client, (const char *const *)(argv + 1), (size_t)(argc - 1), &options, &erasure,
                       &err) != EL_OK) {
        /* Refused (nothing deleted) or stopped mid-run (a file that cannot
         * be written): the erasure's summary says what was deleted. */
        el_error_describe(&err, why, sizeof why);
        fprintf(stderr, "c: erasure failed (%s): %s\n", el_status_name(err.status), why);
        if (erasure != NULL && el_erasure_summary(erasure, &summary) == EL_OK) {
            fprintf(stderr, "deleted %llu, failed %llu\n", (unsigned long long)summary.deleted,
                    (unsigned long long)summary.failed);
        }
        el_erasure_free(erasure);
        el_client_free(client);
        return 1;
    }
    for (i = 0; i < el_erasure_user_count(erasure); i++) {
        const el_id_list *bound = el_erasure_still_bound(erasure, i);
        printf("%s: ", el_erasure_alias(erasure, i));
        if (bound == NULL) {
            printf("not checked\n");
        } else if (el_id_list_count(bound) == 0) {
            printf("no device bound\n");
        } else {
            printf("still bound:");
            for (j = 0; j < el_id_list_count(bound); j++) {
                printf(" %s", el_id_list_get(bound, j));
            }
            printf("\n");
        }
    }
    el_erasure_summary(erasure, &summary);
    printf("deleted %llu, failed %llu\n", (unsigned long long)summary.deleted,
           (unsigned long long)summary.failed);
    ok = el_erasure_is_success(erasure);
    el_erasure_free(erasure);
    el_client_free(client);
    return ok ? 0 : 1;
}
