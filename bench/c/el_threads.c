/* The C ABI from THREADS threads at once, each looping el_delete_device on
 * one shared el_client: the baseline of the in-flight benchmark (bench/in_flight.py).
 *
 *   el_threads SECONDS BASE_URL CA_FILE|- THREADS WARMUP
 *
 * Prints one JSON line: impl, calls, seconds, calls_per_sec, errors. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engagelab_push.h"

#define BENCH_DEVICE "bench-device-0001"

static el_client *client;
static double seconds;
static long warmup_each;
static pthread_barrier_t start;
static uint64_t until;

static uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bench_call(void) {
    el_error err = EL_ERROR_INIT;
    return el_delete_device(client, BENCH_DEVICE, &err) != EL_OK;
}

struct counts {
    long calls, errors;
};

static void *worker(void *arg) {
    struct counts *c = arg;
    for (long i = 0; i < warmup_each; i++) bench_call();
    pthread_barrier_wait(&start);
    pthread_barrier_wait(&start); /* `until` is set between the two */
    while (bench_now_ns() < until) {
        c->errors += bench_call();
        c->calls++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s SECONDS BASE_URL CA_FILE|- THREADS WARMUP\n", argv[0]);
        return 2;
    }
    seconds = strtod(argv[1], NULL);
    int threads = atoi(argv[4]);
    warmup_each = (atol(argv[5]) + threads - 1) / threads;
    el_config *config = NULL;
    if (threads < 1 || el_config_new("bench-app-key", "bench-master-secret", &config, NULL) != EL_OK ||
        el_config_set_base_url(config, argv[2], NULL) != EL_OK ||
        el_config_set_max_retries(config, 0, NULL) != EL_OK ||
        (strcmp(argv[3], "-") != 0 && el_config_set_ca_file(config, argv[3], NULL) != EL_OK) ||
        el_client_new(config, &client, NULL) != EL_OK) {
        fprintf(stderr, "el_threads: cannot make a client\n");
        return 2;
    }
    el_config_free(config);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    struct counts *counts = calloc((size_t)threads, sizeof *counts);
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) pthread_create(&tids[i], NULL, worker, &counts[i]);
    pthread_barrier_wait(&start);
    uint64_t t0 = bench_now_ns();
    until = t0 + (uint64_t)(seconds * 1e9);
    pthread_barrier_wait(&start);
    long calls = 0, errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tids[i], NULL);
        calls += counts[i].calls;
        errors += counts[i].errors;
    }
    double wall = (double)(bench_now_ns() - t0) / 1e9;
    printf("{\"impl\": \"engagelab-push C ABI, %d threads\", \"calls\": %ld, \"seconds\": %.3f, "
           "\"calls_per_sec\": %.1f, \"errors\": %ld}\n",
           threads, calls, wall, (double)calls / wall, errors);
    el_client_free(client);
    free(tids);
    free(counts);
    return errors ? 1 : 0;
}
