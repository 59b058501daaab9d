// The C API from C++11: the header compiles as C++ (extern "C" guards), links,
// and works with RAII owners. Needs ENGAGELAB_MOCK_URL (a running engagelab-mock).
#include <engagelab_push.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "credentials.h"
#include "mock.h"

namespace {

struct ConfigFree {
    void operator()(el_config *c) const { el_config_free(c); }
};
struct ClientFree {
    void operator()(el_client *c) const { el_client_free(c); }
};
using Config = std::unique_ptr<el_config, ConfigFree>;
using Client = std::unique_ptr<el_client, ClientFree>;

int failures = 0;

void check(bool ok, const char *what) {
    if (!ok) {
        ++failures;
        std::fprintf(stderr, "cpp_test: FAILED: %s\n", what);
    }
}

Client make_client(const std::string &url) {
    el_config *raw = nullptr;
    check(el_config_new(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET, &raw, NULL) == EL_OK, "el_config_new");
    Config config(raw);
    check(el_config_set_base_url(config.get(), url.c_str(), NULL) == EL_OK, "set_base_url");
    check(el_config_set_backoff_ms(config.get(), 1, 20, NULL) == EL_OK, "set_backoff_ms");
    check(el_config_set_allow_insecure_http(config.get(), false, NULL) == EL_OK, "set_allow_insecure_http");
    el_client *client = nullptr;
    el_error err = EL_ERROR_INIT;
    check(el_client_new(config.get(), &client, &err) == EL_OK, "el_client_new");
    return Client(client);
}

}  // namespace

int main() {
    mock_init();
    const std::string url = mock_url();
    check(std::string(el_version()) ==
              std::to_string(EL_VERSION_MAJOR) + "." + std::to_string(EL_VERSION_MINOR) + "." +
                  std::to_string(EL_VERSION_PATCH),
          "version");
    check(std::strcmp(el_status_name(EL_NOT_FOUND), "NOT_FOUND") == 0, "status name");

    Client client = make_client(url);
    check(mock_reset() == 0, "mock reset");
    check(mock_add_device("cpp-dev") == 0, "mock add device");

    el_error err = EL_ERROR_INIT;
    uint32_t st = el_delete_device(client.get(), "cpp-dev", &err);
    check(st == EL_OK, "delete a known device");
    check(mock_has_device("cpp-dev") == 0, "device gone");

    st = el_delete_device(client.get(), "cpp-dev", &err);
    check(st == EL_NOT_FOUND && err.status == EL_NOT_FOUND, "unknown device is EL_NOT_FOUND");
    check(err.http_status == 400 && err.api_code == 27002 && err.attempts == 1, "error fields");
    check(!err.maybe_deleted, "maybe_deleted");

    st = el_delete_device(client.get(), nullptr, &err);
    check(st == EL_INVALID_ARGUMENT && std::strstr(err.message, "registration_id") != nullptr,
          "NULL id");

    // A const el_client * shared by std::threads.
    const el_client *shared = client.get();
    std::vector<std::thread> threads;
    std::vector<uint32_t> results(4, EL_INTERNAL);
    for (std::size_t i = 0; i < results.size(); ++i) {
        threads.emplace_back([shared, &results, i] {
            el_error e = EL_ERROR_INIT;
            results[i] = el_delete_device(shared, ("cpp-missing-" + std::to_string(i)).c_str(), &e);
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    for (uint32_t r : results) {
        check(r == EL_NOT_FOUND, "threads");
    }

    client.reset();
    mock_cleanup();
    std::printf("cpp: %d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
