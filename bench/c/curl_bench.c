/* The native anchor of cargo xtask bench: libcurl with ONE easy handle reused
 * for every call, so the connection (and TLS session) is kept alive, the way
 * a careful C programmer would write it. Same arguments and output as every
 * bench client (see bench_common.h). */
#include "bench_common.h"

#include <curl/curl.h>

static CURL *curl;
static char url[2048];
static char errbuf[CURL_ERROR_SIZE];
static int reported;

/* The answer body is read and dropped. */
static size_t drop(char *ptr, size_t size, size_t nmemb, void *user) {
    (void)ptr; (void)user;
    return size * nmemb;
}

int bench_call(void) {
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status < 200 || status > 299) {
        if (!reported++)
            fprintf(stderr, "curl_bench: call failed: %s (HTTP %ld)\n",
                    rc != CURLE_OK ? (errbuf[0] ? errbuf : curl_easy_strerror(rc)) : "status", status);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    struct bench_args a;
    if (bench_parse(argc, argv, &a)) return 2;
    snprintf(url, sizeof url, "%s/v4/devices/%s", a.base_url, BENCH_DEVICE);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    /* base64("bench-app-key:bench-master-secret") */
    headers = curl_slist_append(headers,
        "Authorization: Basic YmVuY2gtYXBwLWtleTpiZW5jaC1tYXN0ZXItc2VjcmV0");
    headers = curl_slist_append(headers, "Accept: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "curl-bench");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, drop);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (a.ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, a.ca_file);

    int rc = bench_run("libcurl", &a);

    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    return rc;
}
