/* The libcurl counterpart of el_one.c: one DELETE with one easy handle, for
 * the footprint table.   curl_one BASE_URL [CA_FILE|-] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <curl/curl.h>

static size_t drop(char *p, size_t s, size_t n, void *u) { (void)p; (void)u; return s * n; }

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s BASE_URL [CA_FILE|-]\n", argv[0]);
        return 2;
    }
    char url[2048];
    snprintf(url, sizeof url, "%s/v4/devices/bench-device-0001", argv[1]);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *curl = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL,
        "Authorization: Basic YmVuY2gtYXBwLWtleTpiZW5jaC1tYXN0ZXItc2VjcmV0");
    h = curl_slist_append(h, "Accept: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, drop);
    if (argc > 2 && strcmp(argv[2], "-") != 0) curl_easy_setopt(curl, CURLOPT_CAINFO, argv[2]);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    if (rc != CURLE_OK || status != 200) {
        fprintf(stderr, "curl_one: %s (HTTP %ld)\n", curl_easy_strerror(rc), status);
        return 1;
    }
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    printf("{\"impl\":\"libcurl one delete\",\"maxrss_kb\":%ld}\n", r.ru_maxrss);
    return 0;
}
