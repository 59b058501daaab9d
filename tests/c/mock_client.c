/* See mock_client.h. */
#define _POSIX_C_SOURCE 200809L

#include "mock_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "credentials.h"
#include "mock.h"

el_client *mock_client(void) {
    el_config *config = NULL;
    el_client *client = NULL;
    el_error err = EL_ERROR_INIT;
    if (el_config_new(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET, &config, NULL) != EL_OK ||
        el_config_set_base_url(config, mock_url(), NULL) != EL_OK ||
        el_config_set_backoff_ms(config, 1, 20, NULL) != EL_OK ||
        el_client_new(config, &client, &err) != EL_OK) {
        fprintf(stderr, "cannot set up a client of the mock: %s\n", err.message);
        exit(1);
    }
    el_config_free(config);
    return client;
}

double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

struct canceller {
    const el_cancel *token;
    int requests;
};

static void *cancel_when_logged(void *arg) {
    struct canceller *c = arg;
    double give_up = now_ms() + 10000;
    while (mock_request_count() <= c->requests && now_ms() < give_up) sleep_ms(2);
    el_cancel_cancel(c->token);
    free(c);
    return NULL;
}

int cancel_once_sent(pthread_t *thread, const el_cancel *token) {
    struct canceller *c = malloc(sizeof *c);
    if (c == NULL) return -1;
    c->token = token;
    c->requests = mock_request_count();
    if (pthread_create(thread, NULL, cancel_when_logged, c) != 0) {
        free(c);
        return -1;
    }
    return 0;
}
