// The C++17 bulk API (Client::delete_devices, delete_devices_from_file,
// erase_users, BulkOptions, BulkError, Erasure) against engagelab-mock: the
// summary, the callbacks, BulkError's kind and summary, and an exception
// thrown by a callback (caught at the C boundary, the run stopped, then
// rethrown). Needs ENGAGELAB_MOCK_URL (a running engagelab-mock).
#include <engagelab_push.hpp>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "credentials.h"
#include "mock.h"

namespace {

int failures = 0;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            ++failures;                                                                    \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                                  \
    } while (0)

engagelab::Client mock_client(const std::string &url) {
    using namespace std::chrono_literals;
    return engagelab::Client::builder(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET)
        .base_url(url)
        .backoff(1ms, 20ms)
        .build();
}

void test_delete_devices(const engagelab::Client &client) {
    CHECK(mock_reset() == 0);
    CHECK(mock_add_device("cppb-1") == 0);
    CHECK(mock_add_device("cppb-2") == 0);
    const std::thread::id caller = std::this_thread::get_id();
    int confirms = 0;
    engagelab::BulkOptions options;
    options.confirm = [&](const el_bulk_plan &plan) {
        CHECK(std::this_thread::get_id() == caller);
        CHECK(plan.entries == 4 && plan.ids == 3 && !plan.dry_run);
        ++confirms;
        return true;
    };
    options.on_progress = [&](const el_bulk_progress &) {
        CHECK(std::this_thread::get_id() == caller);
    };
    const engagelab::BulkSummary s =
        client.delete_devices({"cppb-1", "cppb-2", "cppb-1", "cppb-ghost"}, options);
    CHECK(confirms == 1);
    CHECK(s.entries == 4 && s.ids == 3 && s.deleted == 2 && s.not_found == 1 && s.duplicate == 1);
    CHECK(s.error == engagelab::BulkErrorKind::None && s.is_success() && !s.stopped);
    CHECK(mock_has_device("cppb-1") == 0 && mock_has_device("cppb-2") == 0);
}

void test_guard_is_bulk_error(const engagelab::Client &client) {
    CHECK(mock_reset() == 0);
    engagelab::BulkOptions options;
    options.max_deletions = 1;
    try {
        client.delete_devices({"g-1", "g-2"}, options);
        CHECK(!"the guard did not throw");
    } catch (const engagelab::BulkError &e) {
        CHECK(e.kind() == engagelab::BulkErrorKind::Guard);
        CHECK(e.status() == engagelab::Status::InvalidArgument);
        CHECK(std::string(e.what()).find("max_deletions") != std::string::npos);
        CHECK(e.summary().deleted == 0);
    }
    CHECK(mock_request_count() == 0);
    try {
        client.delete_devices_from_file("/nonexistent/ids.txt");
        CHECK(!"a missing file did not throw");
    } catch (const engagelab::BulkError &e) {
        CHECK(e.kind() == engagelab::BulkErrorKind::Io);
    }
}

void test_callback_exception(const engagelab::Client &client) {
    CHECK(mock_reset() == 0);
    CHECK(mock_add_device("ce-1") == 0);
    engagelab::BulkOptions options;
    options.confirm = [](const el_bulk_plan &) -> bool { throw std::logic_error("no"); };
    try {
        client.delete_devices({"ce-1"}, options);
        CHECK(!"the callback's exception was not rethrown");
    } catch (const std::logic_error &e) {
        CHECK(std::string(e.what()) == "no");
    }
    CHECK(mock_request_count() == 0);
    CHECK(mock_has_device("ce-1") == 1);
}

void test_erase_users(const engagelab::Client &client) {
    CHECK(mock_reset() == 0);
    CHECK(mock_add_device_json(R"({"registration_id":"eu-1","alias":"u-1"})") == 0);
    CHECK(mock_add_device_json(R"({"registration_id":"eu-2","alias":"u-1"})") == 0);
    std::vector<std::string> resolved;
    engagelab::BulkOptions options;
    options.on_resolved = [&](std::string_view alias, const std::vector<std::string> &ids) {
        resolved.push_back(std::string(alias) + ":" + std::to_string(ids.size()));
    };
    const engagelab::Erasure e = client.erase_users({"u-1", "u-none"}, options);
    CHECK(e.is_success());
    CHECK(e.summary.deleted == 2);
    CHECK(e.users.size() == 2);
    CHECK(e.users[0].alias == "u-1" && e.users[0].registration_ids.size() == 2);
    CHECK(e.users[0].still_bound && e.users[0].still_bound->empty());
    CHECK(!e.users[1].verify_error);
    CHECK(resolved == (std::vector<std::string>{"u-1:2", "u-none:0"}));
    try {
        client.erase_users({"a/b"});
        CHECK(!"a bad alias did not throw");
    } catch (const engagelab::BulkError &err) {
        CHECK(err.kind() == engagelab::BulkErrorKind::InvalidArgument);
    }
}

// BulkOptions::stall_timeout reaches the engine: a run held at a quota of 0
// stops after it (the default would wait five minutes), saying why.
void test_stall_timeout(const engagelab::Client &client) {
    using namespace std::chrono_literals;
    CHECK(mock_reset() == 0);
    CHECK(mock_add_device("cppb-stall") == 0);
    char *answer = control_call(mock_url(), "POST", "/__mock/config", "{\"rate_limit_qps\": 0}");
    CHECK(answer != nullptr);
    std::free(answer);
    engagelab::BulkOptions options;
    options.qps = 50;
    options.stall_timeout = -5s;  // refused, not taken as the default
    try {
        (void)client.delete_devices({"cppb-stall"}, options);
        CHECK(!"a negative stall_timeout was accepted");
    } catch (const engagelab::InvalidArgumentError &e) {
        CHECK(e.message() == "stall_timeout must not be negative");
    }
    options.stall_timeout = 300ms;
    const engagelab::BulkSummary s = client.delete_devices({"cppb-stall"}, options);
    CHECK(s.stopped && s.stopped->find("rate-limited with no device deleted") != std::string::npos);
    CHECK(s.deleted == 0 && s.rate_limited > 0 && !s.is_success());
    CHECK(mock_reset() == 0);
}

// A NUL inside an id or a file path of a run is refused, naming it, before
// anything is sent: C would cut the string there, and delete another device
// ("victim") or write another file.
void test_nul_refused(const engagelab::Client &client) {
    using namespace std::string_literals;
    CHECK(mock_reset() == 0);
    CHECK(mock_add_device("victim") == 0);
    try {
        (void)client.delete_devices({"cppb-ok", "victim\0-not-this-one"s});
        CHECK(!"an id with a NUL was taken");
    } catch (const engagelab::InvalidArgumentError &e) {
        CHECK(e.message() == "ids[1] contains a NUL byte");
    }
    const std::string report = "/tmp/cppb-nul-report-" + std::to_string(getpid());
    engagelab::BulkOptions options;
    options.report = report + "\0.ignored"s;
    try {
        (void)client.delete_devices({"victim"}, options);
        CHECK(!"a report path with a NUL was taken");
    } catch (const engagelab::InvalidArgumentError &e) {
        CHECK(e.message() == "report contains a NUL byte");
    }
    CHECK(access(report.c_str(), F_OK) != 0);
    CHECK(mock_request_count() == 0);
    CHECK(mock_has_device("victim") == 1);
}

// A callback's exception stops the run when `cancel` is a moved-from token,
// as with no token: the run's own token is cancelled.
void test_moved_from_token(const engagelab::Client &client) {
    CHECK(mock_reset() == 0);
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) {
        ids.push_back("cppb-mv-" + std::to_string(i));
        CHECK(mock_add_device(ids.back().c_str()) == 0);
    }
    engagelab::CancelToken token;
    const engagelab::CancelToken moved(std::move(token));
    engagelab::BulkOptions options;
    options.qps = 5;
    options.cancel = &token;  // moved from: no C token
    options.on_progress = [](const el_bulk_progress &) { throw std::runtime_error("stop"); };
    try {
        (void)client.delete_devices(ids, options);
        CHECK(!"the callback's exception was not rethrown");
    } catch (const std::runtime_error &e) {
        CHECK(std::string(e.what()) == "stop");
    }
    int left = 0;
    for (const std::string &id : ids) left += mock_has_device(id.c_str());
    CHECK(left > 0);  // stopped: not every id was deleted
}

// A callback's exception stops the run and leaves the caller's token as it
// was: other calls may share it. The token once was cancelled for good. The
// caller's token, cancelled, still stops a run.
void test_callers_token_not_cancelled_by_a_callback(const engagelab::Client &client) {
    CHECK(mock_reset() == 0);
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) {
        ids.push_back("cppb-tok-" + std::to_string(i));
        CHECK(mock_add_device(ids.back().c_str()) == 0);
    }
    const engagelab::CancelToken token;
    engagelab::BulkOptions options;
    options.qps = 5;
    options.cancel = &token;
    options.on_progress = [](const el_bulk_progress &) { throw std::runtime_error("stop"); };
    try {
        (void)client.delete_devices(ids, options);
        CHECK(!"the callback's exception was not rethrown");
    } catch (const std::runtime_error &e) {
        CHECK(std::string(e.what()) == "stop");
    }
    int left = 0;
    for (const std::string &id : ids) left += mock_has_device(id.c_str());
    CHECK(left > 0);  // stopped: not every id was deleted
    CHECK(!token.is_cancelled());  // the caller's token untouched

    options.on_progress = [&token](const el_bulk_progress &) { token.cancel(); };
    const engagelab::BulkSummary s = client.delete_devices(ids, options);
    CHECK(s.interrupted);
    CHECK(token.is_cancelled());
}

}  // namespace

int main() {
    mock_init();
    {
        const engagelab::Client client = mock_client(mock_url());
        test_delete_devices(client);
        test_guard_is_bulk_error(client);
        test_callback_exception(client);
        test_erase_users(client);
        test_stall_timeout(client);
        test_nul_refused(client);
        test_moved_from_token(client);
        test_callers_token_not_cancelled_by_a_callback(client);
    }
    mock_cleanup();
    if (failures != 0) {
        std::fprintf(stderr, "cpp_bulk_test: %d failed\n", failures);
        return 1;
    }
    std::printf("cpp_bulk_test: ok\n");
    return 0;
}
