/* A program built against an older header keeps working with this library.
 *
 * `old_error` below is el_error as an older header would declare it, one
 * field fewer (no maybe_deleted), followed by guard bytes. The library must
 * fill every field that fits the size the program set, and write nothing past
 * it. A size too small to hold `status` gets nothing written at all.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "credentials.h"
#include "mock.h"

/* el_error of a header without the last field. */
struct old_error {
    size_t size;
    uint32_t status;
    uint16_t http_status;
    int64_t api_code;
    uint32_t attempts;
    uint32_t retry_after_ms;
    char message[256];
};

/* The old record, then bytes the library must never touch. */
struct guarded {
    struct old_error err;
    unsigned char guard[64];
};

static int guard_intact(const struct guarded *g) {
    for (size_t i = 0; i < sizeof g->guard; i++) {
        if (g->guard[i] != 0x5A) return 0;
    }
    return 1;
}

int main(void) {
    el_config *config = NULL;
    el_client *client = NULL;
    struct guarded g;

    mock_init();
    if (mock_reset() != 0 || el_config_new(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET, &config, NULL) != EL_OK ||
        el_config_set_base_url(config, mock_url(), NULL) != EL_OK ||
        el_client_new(config, &client, NULL) != EL_OK) {
        fprintf(stderr, "abi_compat: cannot set up a client\n");
        return 1;
    }

    /* The layouts agree on every field the old one has. */
    CHECK(offsetof(struct old_error, message) == offsetof(el_error, message));
    CHECK(offsetof(struct old_error, attempts) == offsetof(el_error, attempts));
    CHECK(sizeof(struct old_error) <= offsetof(el_error, maybe_deleted) + 8);

    /* An unknown id: the mock answers 400 with code 27002. */
    memset(&g, 0x5A, sizeof g);
    g.err.size = offsetof(struct old_error, message) + sizeof g.err.message;
    CHECK(el_delete_device(client, "abi-unknown", (el_error *)&g.err) == EL_NOT_FOUND);
    CHECK(g.err.status == EL_NOT_FOUND);
    CHECK(g.err.http_status == 400);
    CHECK(g.err.api_code == 27002);
    CHECK(g.err.attempts == 1);
    CHECK(memchr(g.err.message, '\0', sizeof g.err.message) != NULL);
    CHECK(guard_intact(&g));

    /* A size that cannot hold the status: nothing but the call's return value. */
    memset(&g, 0x5A, sizeof g);
    g.err.size = sizeof(size_t);
    CHECK(el_delete_device(client, "", (el_error *)&g.err) == EL_INVALID_ARGUMENT);
    CHECK(g.err.size == sizeof(size_t));
    CHECK(g.err.status == 0x5A5A5A5Au);
    CHECK(guard_intact(&g));

    /* Today's layout gets every field. */
    el_error now = EL_ERROR_INIT;
    CHECK(now.size == sizeof(el_error));
    CHECK(el_delete_device(client, "abi-unknown", &now) == EL_NOT_FOUND);
    CHECK(now.api_code == 27002 && now.maybe_deleted == false);

    el_client_free(client);
    el_config_free(config);
    mock_cleanup();
    if (failures) {
        fprintf(stderr, "abi_compat: %d failed\n", failures);
        return 1;
    }
    printf("abi_compat: ok\n");
    return 0;
}
