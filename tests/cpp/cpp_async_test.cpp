// The asynchronous calls of the C++17 API (include/engagelab_push.hpp:
// delete_device_async, get_device_async, get_alias_async, as futures and with
// handlers) against engagelab-mock: results and the exception classes of the
// blocking calls, start failures thrown at once, completion on the library's
// threads, 200 futures at once on one client, a cancel token stopping a call
// mid-request, a client destroyed with calls pending.
// Needs ENGAGELAB_MOCK_URL (a running engagelab-mock).
#include <engagelab_push.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "credentials.h"
#include "mock.h"

namespace {

using namespace std::chrono_literals;
using engagelab::Status;
using Clock = std::chrono::steady_clock;

int failures = 0;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            ++failures;                                                                    \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                                  \
    } while (0)

// Generous: valgrind runs these tests too. Answers scripted 3 s late show
// that a call ending well before then was cancelled.
constexpr auto WAIT = 20s;

// Runs `call`, which must throw exactly `E`; returns the error, or an
// Internal one (and a failure) if it did not throw E.
template <typename E, typename F>
engagelab::Error expect_throw(F call, const char *what) {
    static_assert(std::is_base_of_v<engagelab::Error, E>);
    try {
        call();
    } catch (const E &e) {
        return e;
    } catch (const engagelab::Error &e) {
        ++failures;
        std::fprintf(stderr, "%s: threw %s (%s), not the expected class\n", what, e.status_name(),
                     e.what());
        return e;
    } catch (const std::exception &e) {
        ++failures;
        std::fprintf(stderr, "%s: threw %s\n", what, e.what());
        return engagelab::Error(Status::Internal, "threw another exception");
    }
    ++failures;
    std::fprintf(stderr, "%s: did not throw\n", what);
    return engagelab::Error(Status::Internal, "did not throw");
}

// `future.get()`, which must throw exactly `E`, once ready within WAIT.
template <typename E, typename T>
engagelab::Error expect_failure(std::future<T> future, const char *what) {
    if (future.wait_for(WAIT) != std::future_status::ready) {
        ++failures;
        std::fprintf(stderr, "%s: not ready in time\n", what);
        return engagelab::Error(Status::Internal, "not ready");
    }
    return expect_throw<E>([&future] { future.get(); }, what);
}

engagelab::Client mock_client(const std::string &url) {
    return engagelab::Client::builder(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET)
        .base_url(url)
        .backoff(1ms, 20ms)
        .max_retries(0)
        .build();
}

int script(const char *id, const char *json) {
    cJSON *answers = cJSON_Parse(json);
    int rc = answers != nullptr ? mock_script(id, answers) : -1;
    cJSON_Delete(answers);
    return rc;
}

int script_alias(const char *alias, const char *json) {
    cJSON *answers = cJSON_Parse(json);
    int rc = answers != nullptr ? mock_script_alias(alias, answers) : -1;
    cJSON_Delete(answers);
    return rc;
}

void configure(const std::string &url, const char *json) {
    char *answer = control_call(url.c_str(), "POST", "/__mock/config", json);
    CHECK(answer != nullptr);
    std::free(answer);
}

template <typename T>
bool ready(const std::future<T> &future) {
    return future.wait_for(WAIT) == std::future_status::ready;
}

void test_delete(const engagelab::Client &client) {
    mock_reset();
    CHECK(mock_add_device("cpp-async-1") == 0);
    CHECK(script("cpp-async-busy", "[{\"status\":503}]") == 0);

    std::future<void> ok = client.delete_device_async("cpp-async-1");
    CHECK(ready(ok));
    ok.get();
    CHECK(mock_has_device("cpp-async-1") == 0);

    engagelab::Error nf = expect_failure<engagelab::NotFoundError>(
        client.delete_device_async("cpp-async-1"), "delete of a deleted device");
    CHECK(nf.http_status() == std::optional<std::uint16_t>(400));
    CHECK(nf.api_code() == std::optional<std::int64_t>(27002));
    CHECK(nf.attempts() == 1);

    engagelab::Error server = expect_failure<engagelab::ServerError>(
        client.delete_device_async("cpp-async-busy"), "delete answered 503");
    CHECK(server.http_status() == std::optional<std::uint16_t>(503));

    // A bad id reaches the future, as the blocking call's exception.
    engagelab::Error bad = expect_failure<engagelab::InvalidArgumentError>(
        client.delete_device_async("bad id"), "delete of a bad id");
    engagelab::Error sync = expect_throw<engagelab::InvalidArgumentError>(
        [&client] { client.delete_device("bad id"); }, "blocking delete of a bad id");
    CHECK(std::string(bad.what()) == sync.what());
    CHECK(bad.attempts() == 0);

    engagelab::CallOptions zero;
    zero.timeout = 0ms;
    engagelab::Error timeout = expect_failure<engagelab::TimeoutError>(
        client.delete_device_async("cpp-async-x", zero), "a zero timeout");
    CHECK(timeout.attempts() == 0 && !timeout.maybe_deleted());

    // Start failures are thrown at once, nothing started.
    using namespace std::string_view_literals;
    expect_throw<engagelab::InvalidArgumentError>(
        [&client] { client.delete_device_async("a\0b"sv); }, "a NUL in the id");
    engagelab::CallOptions negative;
    negative.timeout = -1ms;
    expect_throw<engagelab::InvalidArgumentError>(
        [&client, &negative] { client.delete_device_async("cpp-async-x", negative); },
        "a negative timeout");
}

void test_get_device(const engagelab::Client &client) {
    mock_reset();
    CHECK(mock_add_device_json(
              "{\"registration_id\":\"cpp-async-get\",\"tags\":[\"vip\",\"beta\"],\"alias\":\"alice\"}") ==
          0);
    CHECK(script("cpp-async-broken", "[{\"status\":500}]") == 0);
    std::future<engagelab::Device> f = client.get_device_async("cpp-async-get");
    CHECK(ready(f));
    const engagelab::Device device = f.get();
    CHECK(device.registration_id() == "cpp-async-get");
    CHECK((device.tags() == std::vector<std::string>{"vip", "beta"}));
    CHECK(device.alias() == std::optional<std::string>("alice"));
    CHECK(!device.raw_json().empty());

    expect_failure<engagelab::NotFoundError>(client.get_device_async("cpp-async-nope"),
                                             "get of an unknown id");
    expect_failure<engagelab::ServerError>(client.get_device_async("cpp-async-broken"),
                                           "get answered 500");
    expect_failure<engagelab::InvalidArgumentError>(client.get_device_async(""), "get of ''");
    CHECK(mock_has_device("cpp-async-get") == 1);
}

void test_get_alias(const engagelab::Client &client) {
    mock_reset();
    CHECK(mock_add_device_json("{\"registration_id\":\"cpp-a-android\",\"alias\":\"cpp-user\","
                               "\"platform\":\"android\"}") == 0);
    CHECK(mock_add_device_json(
              "{\"registration_id\":\"cpp-a-ios\",\"alias\":\"cpp-user\",\"platform\":\"ios\"}") == 0);
    CHECK(script_alias("cpp-broken-user", "[{\"status\":500}]") == 0);

    auto all = client.get_alias_async("cpp-user");
    CHECK(ready(all));
    CHECK((all.get() == std::vector<std::string>{"cpp-a-android", "cpp-a-ios"}));
    auto ios = client.get_alias_async("cpp-user", {"ios"});
    CHECK(ready(ios));
    CHECK((ios.get() == std::vector<std::string>{"cpp-a-ios"}));
    engagelab::CallOptions options;
    options.timeout = 5000ms;
    auto android = client.get_alias_async("cpp-user", {"android"}, options);
    CHECK(ready(android));
    CHECK((android.get() == std::vector<std::string>{"cpp-a-android"}));
    auto nobody = client.get_alias_async("cpp-nobody");
    CHECK(ready(nobody));
    CHECK(nobody.get().empty());

    expect_failure<engagelab::ServerError>(client.get_alias_async("cpp-broken-user"),
                                           "lookup answered 500");
    // A bad platform: refused at the start (thrown) or by the call (the
    // future); either way the blocking call's class.
    expect_throw<engagelab::InvalidArgumentError>(
        [&client] { client.get_alias_async("cpp-user", {"windows"}).get(); }, "a bad platform");
    using namespace std::string_view_literals;
    expect_throw<engagelab::InvalidArgumentError>(
        [&client] { client.get_alias_async("cpp-user", {"i\0s"sv}); }, "a NUL in a platform");
    expect_throw<engagelab::InvalidArgumentError>(
        [&client] { client.get_alias_async("a\0b"sv); }, "a NUL in the alias");
}

// The handler overloads: each handler runs once, on a thread of the library.
void test_handlers(const engagelab::Client &client) {
    mock_reset();
    CHECK(mock_add_device("cpp-handler") == 0);
    std::mutex lock;
    std::condition_variable changed;
    int done = 0;
    int off_thread = 0;
    int errors = 0;
    const std::thread::id caller = std::this_thread::get_id();
    auto note = [&](bool failed) {
        std::lock_guard<std::mutex> hold(lock);
        ++done;
        off_thread += std::this_thread::get_id() != caller ? 1 : 0;
        errors += failed ? 1 : 0;
        changed.notify_all();
    };
    client.get_device_async("cpp-handler", {}, [&](std::exception_ptr error, engagelab::Device d) {
        note(error != nullptr || d.registration_id() != "cpp-handler");
    });
    client.get_alias_async("cpp-nobody", {}, {},
                           [&](std::exception_ptr error, std::vector<std::string> ids) {
                               note(error != nullptr || !ids.empty());
                           });
    client.delete_device_async("cpp-handler", {}, [&](std::exception_ptr error) {
        note(error != nullptr);
    });
    client.delete_device_async("bad id", {}, [&](std::exception_ptr error) {
        bool right_class = false;
        try {
            if (error) std::rethrow_exception(error);
        } catch (const engagelab::InvalidArgumentError &) {
            right_class = true;
        } catch (...) {
        }
        note(!right_class);
    });
    std::unique_lock<std::mutex> hold(lock);
    CHECK(changed.wait_for(hold, WAIT, [&] { return done == 4; }));
    CHECK(off_thread == 4);
    // The delete may run before the query: 0 or 1 failure (the query of a
    // deleted device), never more.
    CHECK(errors <= 1);
}

// 200 futures at once on one client all complete.
void test_many(const engagelab::Client &client, const std::string &url) {
    mock_reset();
    configure(url, "{\"unknown_device\":{\"status\":200},\"latency_ms\":10}");
    std::vector<std::future<void>> deletes;
    std::vector<std::future<std::vector<std::string>>> lookups;
    for (int i = 0; i < 200; ++i) {
        if (i % 2 == 0) {
            deletes.push_back(client.delete_device_async("cpp-many-" + std::to_string(i)));
        } else {
            lookups.push_back(client.get_alias_async("cpp-many-user-" + std::to_string(i)));
        }
    }
    int ok = 0;
    for (auto &f : deletes) {
        if (ready(f)) {
            f.get();
            ++ok;
        }
    }
    for (auto &f : lookups) {
        if (ready(f) && f.get().empty()) ++ok;
    }
    CHECK(ok == 200);
    mock_reset();
}

// A token cancelled mid-request ends the call with CancelledError quickly.
void test_cancel(const engagelab::Client &client) {
    mock_reset();
    CHECK(mock_add_device("cpp-async-slow") == 0);
    CHECK(script("cpp-async-slow", "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":3000}]") == 0);
    std::future<void> f;
    {
        const engagelab::CancelToken token;
        engagelab::CallOptions options;
        options.cancel = &token;
        f = client.delete_device_async("cpp-async-slow", options);
        const auto give_up = Clock::now() + WAIT;
        while (mock_request_count() < 1 && Clock::now() < give_up) {
            std::this_thread::sleep_for(5ms);
        }
        token.cancel();
    }  // the token may go once the call started: it keeps what it needs
    const auto cancelled_at = Clock::now();
    CHECK(f.wait_for(WAIT) == std::future_status::ready);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - cancelled_at);
    // Well before the 3 s answer, on however busy a machine (or valgrind).
    CHECK(ms < 1500ms);
    if (ms >= 1500ms) std::fprintf(stderr, "cancelled after %lld ms\n", static_cast<long long>(ms.count()));
    engagelab::Error e = expect_throw<engagelab::CancelledError>([&f] { f.get(); }, "cancelled");
    CHECK(e.attempts() == 1);
    CHECK(e.maybe_deleted());
    CHECK(mock_has_device("cpp-async-slow") == 1);

    // A token cancelled before the start: CancelledError, nothing sent.
    const engagelab::CancelToken early;
    early.cancel();
    engagelab::CallOptions options;
    options.cancel = &early;
    engagelab::Error before = expect_failure<engagelab::CancelledError>(
        client.get_device_async("cpp-async-slow", options), "cancelled before the start");
    CHECK(before.attempts() == 0);
}

// A client destroyed (or moved from) with calls pending: they complete.
void test_lifetime(const std::string &url) {
    mock_reset();
    CHECK(mock_add_device("cpp-orphan") == 0);
    CHECK(script("cpp-orphan", "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":200}]") == 0);
    std::future<void> f;
    {
        engagelab::Client client = mock_client(url);
        f = client.delete_device_async("cpp-orphan");
        engagelab::Client moved = std::move(client);
        expect_throw<engagelab::InvalidArgumentError>(
            [&client] { client.delete_device_async("cpp-orphan"); }, "a moved-from client");
    }
    CHECK(ready(f));
    f.get();
    CHECK(mock_request_count() == 1);
}

}  // namespace

int main() {
    mock_init();
    const std::string url = mock_url();
    {
        const engagelab::Client client = mock_client(url);
        test_delete(client);
        test_get_device(client);
        test_get_alias(client);
        test_handlers(client);
        test_many(client, url);
        test_cancel(client);
    }
    test_lifetime(url);
    mock_reset();
    mock_cleanup();
    if (failures != 0) {
        std::fprintf(stderr, "cpp_async_test: %d failed\n", failures);
        return 1;
    }
    std::printf("cpp_async_test: ok\n");
    return 0;
}
