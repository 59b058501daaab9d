/* Shared by the C benchmark clients of cargo xtask bench: argument parsing,
 * per-call timing, and the one JSON line every client prints.
 *
 * Usage of every program: PROG N|SECONDSs BASE_URL [CA_FILE|-] [WARMUP]
 *   N         timed calls (e.g. 20000), or a duration (e.g. 5s): timed calls go
 *             on until it has passed;
 *   CA_FILE   PEM file of the CA that signed the server's certificate ("-": none);
 *   WARMUP    untimed calls first (default 200).
 * The program defines one function, `int bench_call(void)`, returning 0 on
 * success, and calls bench_main() from main(). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_DEVICE "bench-device-0001"

struct bench_args {
    long calls;        /* > 0: this many timed calls */
    double seconds;    /* > 0: timed calls until this long has passed */
    const char *base_url;
    const char *ca_file; /* NULL: none */
    long warmup;
};

static int bench_parse(int argc, char **argv, struct bench_args *a) {
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: %s N|SECONDSs BASE_URL [CA_FILE|-] [WARMUP]\n", argv[0]);
        return -1;
    }
    memset(a, 0, sizeof *a);
    size_t len = strlen(argv[1]);
    char *end = NULL;
    if (len > 0 && argv[1][len - 1] == 's') {
        a->seconds = strtod(argv[1], &end);
        if (end != argv[1] + len - 1 || a->seconds <= 0) goto bad;
    } else {
        a->calls = strtol(argv[1], &end, 10);
        if (*end != '\0' || a->calls <= 0) goto bad;
    }
    a->base_url = argv[2];
    a->ca_file = (argc > 3 && strcmp(argv[3], "-") != 0 && argv[3][0] != '\0') ? argv[3] : NULL;
    a->warmup = argc > 4 ? strtol(argv[4], NULL, 10) : 200;
    return 0;
bad:
    fprintf(stderr, "%s: bad N %s\n", argv[0], argv[1]);
    return -1;
}

static uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double bench_cpu_s(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 +
           (double)r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

static long bench_maxrss_kb(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_maxrss;
}

static int bench_cmp(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Nearest-rank percentile of sorted values. */
static uint64_t bench_pct(const uint64_t *v, size_t n, double q) {
    if (n == 0) return 0;
    size_t rank = (size_t)(q * (double)n);
    if ((double)rank < q * (double)n) rank++;
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1];
}

int bench_call(void);

/* Warm-up, timed loop, JSON line. Returns the process exit code. */
static int bench_run(const char *impl, const struct bench_args *a) {
    long errors = 0;
    for (long i = 0; i < a->warmup; i++) errors += bench_call() != 0;

    size_t cap = a->calls > 0 ? (size_t)a->calls : (size_t)(a->seconds * 100000.0) + 16;
    uint64_t *lat = malloc(cap * sizeof *lat);
    if (!lat) { fprintf(stderr, "%s: out of memory\n", impl); return 1; }
    size_t n = 0;
    double cpu0 = bench_cpu_s();
    uint64_t start = bench_now_ns();
    uint64_t until = a->seconds > 0 ? start + (uint64_t)(a->seconds * 1e9) : 0;
    for (;;) {
        if (a->calls > 0 && n >= (size_t)a->calls) break;
        if (n >= cap) break;
        uint64_t t0 = bench_now_ns();
        errors += bench_call() != 0;
        uint64_t t1 = bench_now_ns();
        lat[n++] = t1 - t0;
        if (until && t1 >= until) break;
    }
    uint64_t wall_ns = bench_now_ns() - start;
    double cpu = bench_cpu_s() - cpu0;
    long maxrss = bench_maxrss_kb();

    qsort(lat, n, sizeof *lat, bench_cmp);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += (double)lat[i];
    double wall = (double)wall_ns / 1e9;
    printf("{\"impl\":\"%s\",\"threads\":1,\"warmup\":%ld,\"calls\":%zu,\"errors\":%ld,"
           "\"wall_s\":%.6f,\"median_us\":%.2f,\"p99_us\":%.2f,\"mean_us\":%.2f,"
           "\"calls_per_s\":%.1f,\"cpu_us_per_call\":%.3f,\"maxrss_kb\":%ld}\n",
           impl, a->warmup, n, errors, wall, bench_pct(lat, n, 0.50) / 1e3,
           bench_pct(lat, n, 0.99) / 1e3, n ? sum / (double)n / 1e3 : 0.0,
           (double)n / wall, n ? cpu * 1e6 / (double)n : 0.0, maxrss);
    fflush(stdout);
    free(lat);
    if (errors) {
        fprintf(stderr, "%s: %ld calls failed\n", impl, errors);
        return 1;
    }
    return 0;
}

#endif
