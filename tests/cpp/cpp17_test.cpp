// The C++17 API (include/engagelab_push.hpp) against engagelab-mock: the
// builder and every setter, delete_device and its exception classes (one per
// category), the fields and what() of Error, try_delete_device, get_device
// and try_get_device (a device's tags, alias and answer), get_alias and
// try_get_alias (an alias's registration ids), CancelToken and per-call
// timeouts, from_env, move semantics, threads. Built with extra
// warnings (see CMakeLists.txt) and linked with a second translation unit
// (cpp17_second_tu.cpp) to prove the header is header-only and ODR-safe.
// Needs ENGAGELAB_MOCK_URL (a running engagelab-mock).
#include <engagelab_push.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "credentials.h"
#include "mock.h"

// From cpp17_second_tu.cpp: builds a client there and deletes `id`.
bool delete_in_second_tu(const std::string &url, const std::string &id);

namespace {

using namespace std::chrono_literals;
using engagelab::Status;

int failures = 0;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            ++failures;                                                                    \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                                  \
    } while (0)

// Runs `call`, which must throw exactly `E` (caught as E, checked to be an
// engagelab::Error and a std::runtime_error); returns the error, or an
// Internal one (and a failure) if it did not throw E.
template <typename E, typename F>
engagelab::Error expect_throw(F call, const char *what) {
    static_assert(std::is_base_of_v<engagelab::Error, E>);
    static_assert(std::is_base_of_v<std::runtime_error, E>);
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
    }
    ++failures;
    std::fprintf(stderr, "%s: did not throw\n", what);
    return engagelab::Error(Status::Internal, "did not throw");
}

bool contains(const std::string &s, const std::string &part) {
    return s.find(part) != std::string::npos;
}

const char *const SECRET = EL_TEST_MASTER_SECRET;

// what() and message() never show a Master Secret (the real one or a wrong one).
void check_no_secret(const engagelab::Error &e, const char *secret = SECRET) {
    CHECK(!contains(e.what(), secret));
    CHECK(!contains(e.message(), secret));
}

engagelab::Client mock_client(const std::string &url) {
    return engagelab::Client::builder(EL_TEST_APP_KEY, SECRET)
        .base_url(url)
        .backoff(1ms, 20ms)
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

int requests_logged() {
    cJSON *log = mock_log();
    int n = log != nullptr ? cJSON_GetArraySize(log) : -1;
    cJSON_Delete(log);
    return n;
}

// The path (query included) of the last logged request, or "".
std::string last_path() {
    std::string path;
    cJSON *log = mock_log();
    int n = log != nullptr ? cJSON_GetArraySize(log) : 0;
    if (n > 0) {
        const char *value =
            cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(log, n - 1), "path"));
        path = value != nullptr ? value : "";
    }
    cJSON_Delete(log);
    return path;
}

// The value of header `name` in the last logged request, or "".
std::string last_header(const char *name) {
    std::string value;
    cJSON *log = mock_log();
    int n = log != nullptr ? cJSON_GetArraySize(log) : 0;
    if (n > 0) {
        cJSON *headers = cJSON_GetObjectItem(cJSON_GetArrayItem(log, n - 1), "headers");
        cJSON *pair = nullptr;
        cJSON_ArrayForEach(pair, headers) {
            const char *key = cJSON_GetStringValue(cJSON_GetArrayItem(pair, 0));
            const char *val = cJSON_GetStringValue(cJSON_GetArrayItem(pair, 1));
            if (key != nullptr && val != nullptr && std::string(key) == name) {
                value = val;
            }
        }
    }
    cJSON_Delete(log);
    return value;
}

// The Status values are the C codes, and the types behave as documented.
static_assert(static_cast<std::uint32_t>(Status::InvalidArgument) == EL_INVALID_ARGUMENT);
static_assert(static_cast<std::uint32_t>(Status::NotFound) == 3);
static_assert(static_cast<std::uint32_t>(Status::Cancelled) == EL_CANCELLED);
static_assert(!std::is_copy_constructible_v<engagelab::Client>);
static_assert(!std::is_copy_assignable_v<engagelab::Client>);
static_assert(std::is_nothrow_move_constructible_v<engagelab::Client>);
static_assert(std::is_nothrow_move_assignable_v<engagelab::Client>);
static_assert(!std::is_copy_constructible_v<engagelab::CancelToken>);
static_assert(std::is_nothrow_move_constructible_v<engagelab::CancelToken>);
static_assert(std::is_nothrow_move_assignable_v<engagelab::CancelToken>);
static_assert(std::is_copy_constructible_v<engagelab::Error>);
static_assert(std::is_base_of_v<engagelab::Error, engagelab::CancelledError>);
static_assert(noexcept(std::declval<const engagelab::Client &>().try_delete_device("x")));
static_assert(noexcept(std::declval<const engagelab::Client &>().try_get_device(
    "x", std::declval<engagelab::Device &>())));
static_assert(noexcept(std::declval<const engagelab::Client &>().try_get_alias(
    "x", std::declval<std::vector<std::string> &>())));
static_assert(noexcept(std::declval<const engagelab::Client &>().try_get_alias(
    "x", std::declval<const std::vector<std::string_view> &>(), engagelab::CallOptions{},
    std::declval<std::vector<std::string> &>())));
static_assert(std::is_copy_constructible_v<engagelab::Device>);
static_assert(std::is_nothrow_move_constructible_v<engagelab::Device>);

void test_success_and_every_setter(const std::string &url) {
    mock_reset();
    CHECK(mock_add_device("cpp17-ok") == 0);
    const engagelab::Client client = engagelab::Client::builder(EL_TEST_APP_KEY, SECRET)
                                         .region("usva")  // overridden by the base URL
                                         .base_url(url)
                                         .timeout(std::chrono::seconds(5))
                                         .connect_timeout(2s)
                                         .max_retries(1)
                                         .backoff(1ms, 20ms)
                                         .max_retry_after(500ms)
                                         .user_agent("cpp17-test/1.0")
                                         .allow_insecure_http(false)
                                         .build();
    client.delete_device("cpp17-ok");
    CHECK(mock_has_device("cpp17-ok") == 0);
    CHECK(last_header("user-agent") == "cpp17-test/1.0");
    CHECK(delete_in_second_tu(url, "cpp17-second-tu") == false);  // unknown id: NotFoundError there
}

void test_builder_failures(const std::string &url) {
    auto e = expect_throw<engagelab::InvalidArgumentError>(
        [] { engagelab::Client::builder(EL_TEST_APP_KEY, SECRET).region("mars").build(); },
        "unknown region");
    CHECK(e.status() == Status::InvalidArgument && contains(e.message(), "mars"));
    CHECK(e.attempts() == 0 && !e.http_status() && !e.api_code() && !e.maybe_deleted());
    check_no_secret(e);

    e = expect_throw<engagelab::InvalidArgumentError>(
        [] { engagelab::Client::builder("", SECRET).build(); }, "empty app key");
    CHECK(contains(e.message(), "app_key"));

    e = expect_throw<engagelab::InvalidArgumentError>(
        [] { engagelab::Client::builder(EL_TEST_APP_KEY, SECRET).timeout(0ms).build(); },
        "zero timeout");
    CHECK(contains(e.message(), "timeout"));

    e = expect_throw<engagelab::InvalidArgumentError>(
        [] { engagelab::Client::builder(EL_TEST_APP_KEY, SECRET).timeout(-5ms).build(); },
        "negative timeout");
    CHECK(e.message() == "timeout must not be negative");

    e = expect_throw<engagelab::InvalidArgumentError>(
        [&] {
            engagelab::Client::builder(EL_TEST_APP_KEY, SECRET)
                .base_url(std::string_view(url.c_str(), url.size() + 1))  // a trailing NUL
                .build();
        },
        "NUL in base_url");
    CHECK(e.message() == "base_url contains a NUL byte");

    e = expect_throw<engagelab::InvalidArgumentError>(
        [] {
            engagelab::Client::builder(EL_TEST_APP_KEY, std::string_view("demo-master-secret\0x", 20))
                .build();
        },
        "NUL in master_secret");
    CHECK(e.message() == "master_secret contains a NUL byte");
    check_no_secret(e);

    e = expect_throw<engagelab::InvalidArgumentError>(
        [] { engagelab::Client::builder(EL_TEST_APP_KEY, SECRET).max_retries(-1).build(); },
        "negative max_retries");
    CHECK(e.message() == "max_retries must be 0 to 4294967295, got -1");

    e = expect_throw<engagelab::InvalidArgumentError>(
        [] { engagelab::Client::builder(EL_TEST_APP_KEY, SECRET).backoff(500ms, 10ms).build(); },
        "backoff base above max");
    CHECK(contains(e.message(), "backoff"));
}

void test_categories(const engagelab::Client &client, const std::string &url) {
    // NOT_FOUND: a scripted 404; what() is the core's Display text.
    mock_reset();
    CHECK(script("cpp17-404",
                 "[{\"status\":404,\"body\":\"{\\\"code\\\":20101,\\\"message\\\":\\\"no such "
                 "device\\\"}\"}]") == 0);
    auto e = expect_throw<engagelab::NotFoundError>([&] { client.delete_device("cpp17-404"); },
                                                   "404");
    CHECK(e.status() == Status::NotFound && std::string(e.status_name()) == "NOT_FOUND");
    CHECK(e.http_status() == std::optional<std::uint16_t>(404));
    CHECK(e.api_code() == std::optional<std::int64_t>(20101));
    CHECK(e.message() == "no such device");
    CHECK(e.attempts() == 1 && !e.maybe_deleted() && !e.retry_after());
    CHECK(std::string(e.what()) ==
          "EngageLab does not know this registration id or alias (HTTP 404, code 20101): no such "
          "device; check it, and that it belongs to this AppKey and data center");
    check_no_secret(e);

    // NOT_FOUND: EngageLab's answer to an unknown id, 400 with code 27002.
    e = expect_throw<engagelab::NotFoundError>([&] { client.delete_device("cpp17-unknown"); },
                                               "unknown id");
    CHECK(e.status() == Status::NotFound && e.http_status() == std::optional<std::uint16_t>(400));
    CHECK(e.api_code() == std::optional<std::int64_t>(27002) && e.attempts() == 1);
    check_no_secret(e);

    // AUTH: a wrong Master Secret, never shown.
    const char *wrong = "w4cky-wrong-master-secret-0001";
    const engagelab::Client bad = engagelab::Client::builder(EL_TEST_APP_KEY, wrong).base_url(url).build();
    CHECK(mock_add_device("cpp17-auth") == 0);
    e = expect_throw<engagelab::AuthError>([&] { bad.delete_device("cpp17-auth"); }, "wrong secret");
    CHECK(e.status() == Status::Auth && e.http_status() == std::optional<std::uint16_t>(401));
    CHECK(e.api_code() == std::optional<std::int64_t>(21004));
    check_no_secret(e, wrong);
    check_no_secret(e);
    CHECK(mock_has_device("cpp17-auth") == 1);

    // RATE_LIMITED with the server's hint, retries off.
    const engagelab::Client once =
        engagelab::Client::builder(EL_TEST_APP_KEY, SECRET).base_url(url).max_retries(0).build();
    CHECK(script("cpp17-429",
                 "[{\"status\":429,\"headers\":{\"Retry-After\":\"2\"},"
                 "\"body\":\"{\\\"code\\\":23008,\\\"message\\\":\\\"slow down\\\"}\"}]") == 0);
    e = expect_throw<engagelab::RateLimitedError>([&] { once.delete_device("cpp17-429"); }, "429");
    CHECK(e.retry_after() == std::optional<std::chrono::milliseconds>(2000ms));
    CHECK(contains(e.what(), "server asks to wait 2.000s"));

    // SERVER after a retry: "after 2 attempts" in what().
    CHECK(script("cpp17-503", "[{\"status\":503,\"body\":\"\"},{\"status\":503,\"body\":\"\"}]") == 0);
    const engagelab::Client retry_once = engagelab::Client::builder(EL_TEST_APP_KEY, SECRET)
                                             .base_url(url)
                                             .max_retries(1)
                                             .backoff(1ms, 5ms)
                                             .build();
    e = expect_throw<engagelab::ServerError>([&] { retry_once.delete_device("cpp17-503"); }, "503");
    CHECK(e.attempts() == 2 && contains(e.what(), ", after 2 attempts"));

    // TIMEOUT: the answer comes after 3 s, the per-call deadline is 200 ms.
    CHECK(script("cpp17-slow", "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":3000}]") == 0);
    const auto start = std::chrono::steady_clock::now();
    e = expect_throw<engagelab::TimeoutError>(
        [&] { client.delete_device("cpp17-slow", engagelab::CallOptions{nullptr, 200ms}); },
        "per-call timeout");
    CHECK(std::chrono::steady_clock::now() - start < 2500ms);
    CHECK(e.status() == Status::Timeout && e.maybe_deleted() && !e.http_status());
    CHECK(contains(e.what(), "may already have deleted the device"));

    // A per-call timeout of 0 is the core's to judge: TIMEOUT, nothing sent.
    mock_reset();
    e = expect_throw<engagelab::TimeoutError>(
        [&] { client.delete_device("x", engagelab::CallOptions{nullptr, 0ms}); }, "zero per-call timeout");
    CHECK(e.attempts() == 0 && !e.maybe_deleted());
    CHECK(requests_logged() == 0);
    e = expect_throw<engagelab::InvalidArgumentError>(
        [&] { client.delete_device("x", engagelab::CallOptions{nullptr, -1ms}); }, "negative per-call timeout");
    CHECK(e.message() == "the per-call timeout must not be negative");
}

void test_invalid_ids(const engagelab::Client &client) {
    mock_reset();
    auto e = expect_throw<engagelab::InvalidArgumentError>([&] { client.delete_device(""); }, "empty id");
    CHECK(e.message() == "registration_id is empty" && e.attempts() == 0);
    CHECK(std::string(e.what()) == "invalid argument: registration_id is empty");

    // An embedded NUL: refused, not cut to the device "cpp17-nul", which stays.
    CHECK(mock_add_device("cpp17-nul") == 0);
    const std::string with_nul("cpp17-nul\0tail", 14);
    e = expect_throw<engagelab::InvalidArgumentError>([&] { client.delete_device(with_nul); },
                                                      "NUL in id");
    CHECK(contains(e.message(), "U+0000 at byte 9"));
    CHECK(e.attempts() == 0 && !e.maybe_deleted());
    std::optional<engagelab::Error> r = client.try_delete_device(with_nul);
    CHECK(r && r->status() == Status::InvalidArgument);
    CHECK(mock_has_device("cpp17-nul") == 1);
    CHECK(requests_logged() == 0);

    // A string_view into a longer buffer: only the viewed bytes are the id.
    CHECK(mock_add_device("cpp17-view") == 0);
    const std::string buffer = "cpp17-view-and-more";
    client.delete_device(std::string_view(buffer).substr(0, 10));
    CHECK(mock_has_device("cpp17-view") == 0);
    CHECK(mock_has_device("cpp17-nul") == 1);
}

void test_try_delete_device(const engagelab::Client &client) {
    mock_reset();
    CHECK(mock_add_device("cpp17-try") == 0);
    CHECK(!client.try_delete_device("cpp17-try"));
    CHECK(mock_has_device("cpp17-try") == 0);

    std::optional<engagelab::Error> r = client.try_delete_device("cpp17-try");
    CHECK(r && r->status() == Status::NotFound &&
          r->api_code() == std::optional<std::int64_t>(27002));
    // raise() throws it as its category's class.
    auto e = expect_throw<engagelab::NotFoundError>([&] { r->raise(); }, "raise");
    CHECK(std::string(e.what()) == r->what());
    check_no_secret(*r);

    // An error from a C call converts too.
    el_error c_error = EL_ERROR_INIT;
    CHECK(el_delete_device(client.c_client(), "", &c_error) == EL_INVALID_ARGUMENT);
    const engagelab::Error from_c(c_error);
    CHECK(from_c.status() == Status::InvalidArgument && from_c.message() == "registration_id is empty");
    // what() is the core's sentence for that record, el_error_describe's.
    char described[512];
    const std::size_t n = el_error_describe(&c_error, described, sizeof described);
    CHECK(n < sizeof described && std::string(from_c.what()) == std::string(described, n));

    // A sentence longer than the first buffer (invalid UTF-8 in the message
    // grows as U+FFFD) is asked for again, whole.
    el_error long_error = EL_ERROR_INIT;
    long_error.status = EL_NOT_FOUND;
    long_error.maybe_deleted = true;
    for (std::size_t i = 0; i + 1 < sizeof long_error.message; i++) {
        long_error.message[i] = static_cast<char>(0xFF);
    }
    const engagelab::Error long_from_c(long_error);
    const std::size_t needed = el_error_describe(&long_error, nullptr, 0);
    CHECK(needed > 512 && std::string(long_from_c.what()).size() == needed);
    CHECK(contains(long_from_c.what(), "may already have deleted the device"));

    // An error the header finds itself (no C call): the core's sentence too.
    const engagelab::Error local(Status::InvalidArgument, "x contains a NUL byte");
    CHECK(std::string(local.what()) == "invalid argument: x contains a NUL byte");
    CHECK(local.message() == "x contains a NUL byte");
    // message() is at most 255 bytes of UTF-8, as what() shows it, for an
    // error made here too (cut on a character boundary: "\u00e9" is 2 bytes).
    std::string long_message(254, 'x');
    long_message += "\u00e9tail";
    const engagelab::Error long_local(Status::Api, long_message);
    CHECK(long_local.message() == std::string(254, 'x'));
    CHECK(contains(long_local.what(), long_local.message()));
    CHECK(!contains(long_local.what(), "tail"));
}

void test_cancel_token(const engagelab::Client &client) {
    mock_reset();
    engagelab::CancelToken token;
    CHECK(!token.is_cancelled() && token.c_cancel() != nullptr);

    // Not cancelled: no effect.
    CHECK(mock_add_device("cpp17-token-unused") == 0);
    client.delete_device("cpp17-token-unused", engagelab::CallOptions{&token, std::nullopt});
    CHECK(mock_has_device("cpp17-token-unused") == 0);

    token.cancel();
    CHECK(token.is_cancelled());
    CHECK(mock_add_device("cpp17-cancelled") == 0);
    const int logged = requests_logged();
    auto e = expect_throw<engagelab::CancelledError>(
        [&] { client.delete_device("cpp17-cancelled", engagelab::CallOptions{&token, 1s}); },
        "cancelled token");
    CHECK(e.status() == Status::Cancelled && e.attempts() == 0 && !e.maybe_deleted());
    std::optional<engagelab::Error> r =
        client.try_delete_device("cpp17-cancelled", engagelab::CallOptions{&token, std::nullopt});
    CHECK(r && r->status() == Status::Cancelled);
    CHECK(mock_has_device("cpp17-cancelled") == 1);
    CHECK(requests_logged() == logged);  // nothing sent

    // Cancelled from another thread: the token is safe to share.
    engagelab::CancelToken shared;
    std::thread([&shared] { shared.cancel(); }).join();
    CHECK(shared.is_cancelled());

    // Moves: the moved-to token is the same token; the moved-from one is empty.
    engagelab::CancelToken moved(std::move(token));
    CHECK(moved.is_cancelled() && token.c_cancel() == nullptr && !token.is_cancelled());  // NOLINT
    token.cancel();  // a no-op on a moved-from token
    engagelab::CancelToken fresh;
    fresh = std::move(moved);
    CHECK(fresh.is_cancelled());

    // A check token: a blocking call runs the check on its own thread while it
    // waits, and stops once it says yes; moves keep the check.
    const std::thread::id caller = std::this_thread::get_id();
    int calls = 0;
    int off_thread = 0;
    engagelab::CancelToken checked([&] {
        off_thread += std::this_thread::get_id() != caller ? 1 : 0;
        return ++calls >= 3;
    });
    engagelab::CancelToken check_moved(std::move(checked));
    CHECK(script("cpp17-check", "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":3000}]") == 0);
    auto start = std::chrono::steady_clock::now();
    auto c = expect_throw<engagelab::CancelledError>(
        [&] { client.delete_device("cpp17-check", engagelab::CallOptions{&check_moved, std::nullopt}); },
        "check token");
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);  // the answer comes after 3000 ms
    CHECK(c.attempts() == 1 && c.maybe_deleted());
    CHECK(calls >= 3 && off_thread == 0 && check_moved.is_cancelled());

    // A check that throws cancels: the exception stays on this side of the C library.
    engagelab::CancelToken throwing([]() -> bool { throw std::runtime_error("from the check"); });
    CHECK(throwing.is_cancelled());
    CHECK(script("cpp17-check-throws", "[{\"status\":200,\"body\":\"{}\",\"delay_ms\":3000}]") == 0);
    start = std::chrono::steady_clock::now();
    expect_throw<engagelab::CancelledError>(
        [&] { client.delete_device("cpp17-check-throws", engagelab::CallOptions{&throwing, std::nullopt}); },
        "throwing check");
    CHECK(std::chrono::steady_clock::now() - start < 1500ms);

    // An empty check is refused with the error model's InvalidArgumentError.
    expect_throw<engagelab::InvalidArgumentError>([] { engagelab::CancelToken none{std::function<bool()>()}; },
                                                  "empty check");
}

void test_moves(const std::string &url) {
    mock_reset();
    engagelab::Client a = mock_client(url);
    const el_client *raw = a.c_client();
    engagelab::Client b(std::move(a));
    CHECK(b.c_client() == raw && a.c_client() == nullptr);  // NOLINT(bugprone-use-after-move)
    CHECK(mock_add_device("cpp17-moved") == 0);
    b.delete_device("cpp17-moved");
    CHECK(mock_has_device("cpp17-moved") == 0);

    // A moved-from client fails every call, as the core reports a NULL client.
    auto e = expect_throw<engagelab::InvalidArgumentError>([&] { a.delete_device("x"); },
                                                          "moved-from client");
    CHECK(e.attempts() == 0);

    // Move assignment frees the old client and takes the other.
    engagelab::Client c = mock_client(url);
    c = std::move(b);
    CHECK(c.c_client() == raw && b.c_client() == nullptr);  // NOLINT(bugprone-use-after-move)
    engagelab::Client &same = c;
    c = std::move(same);  // a self-move keeps it
    CHECK(c.c_client() == raw);
    std::vector<engagelab::Client> clients;
    clients.push_back(std::move(c));
    clients.push_back(mock_client(url));
    CHECK(mock_add_device("cpp17-in-vector") == 0);
    clients[0].delete_device("cpp17-in-vector");
    CHECK(mock_has_device("cpp17-in-vector") == 0);
}

void test_from_env(const std::string &url) {
    mock_reset();
    ::unsetenv("ENGAGELAB_APP_KEY");
    ::unsetenv("ENGAGELAB_MASTER_SECRET");
    ::unsetenv("ENGAGELAB_REGION");
    ::unsetenv("ENGAGELAB_BASE_URL");
    auto e = expect_throw<engagelab::InvalidArgumentError>([] { engagelab::Client::from_env(); },
                                                          "no variables");
    CHECK(e.message() == "ENGAGELAB_APP_KEY is not set");
    // The core's sentence, as el_config_from_env reports it.
    CHECK(std::string(e.what()) == "invalid argument: ENGAGELAB_APP_KEY is not set");
    ::setenv("ENGAGELAB_APP_KEY", EL_TEST_APP_KEY, 1);
    ::setenv("ENGAGELAB_MASTER_SECRET", "", 1);  // empty counts as unset
    e = expect_throw<engagelab::InvalidArgumentError>([] { engagelab::Client::from_env(); },
                                                      "no secret");
    CHECK(e.message() == "ENGAGELAB_MASTER_SECRET is not set");
    ::setenv("ENGAGELAB_MASTER_SECRET", SECRET, 1);
    ::setenv("ENGAGELAB_REGION", "hk", 1);
    ::setenv("ENGAGELAB_BASE_URL", url.c_str(), 1);
    e = expect_throw<engagelab::InvalidArgumentError>([] { engagelab::Client::from_env(); },
                                                      "region and base URL");
    CHECK(e.message() == "set ENGAGELAB_REGION or ENGAGELAB_BASE_URL, not both");
    ::unsetenv("ENGAGELAB_BASE_URL");
    ::setenv("ENGAGELAB_REGION", "mars", 1);
    e = expect_throw<engagelab::InvalidArgumentError>([] { engagelab::Client::from_env(); },
                                                      "unknown region");
    CHECK(e.message().rfind("ENGAGELAB_REGION: ", 0) == 0 && contains(e.message(), "mars"));
    ::setenv("ENGAGELAB_REGION", "defra", 1);
    CHECK(engagelab::Client::from_env().c_client() != nullptr);  // a region alone is fine
    // describe() is the core's: the region shown, never the secret.
    const std::string described = engagelab::Client::from_env().describe();
    CHECK(contains(described, "region=defra") && contains(described, "app_key=\"" EL_TEST_APP_KEY "\""));
    CHECK(!contains(described, SECRET));
    ::setenv("ENGAGELAB_REGION", "", 1);  // empty: the core's rule, its default region
    CHECK(contains(engagelab::Client::from_env().describe(), "region=sgp"));
    ::unsetenv("ENGAGELAB_REGION");
    ::setenv("ENGAGELAB_BASE_URL", url.c_str(), 1);
    CHECK(mock_add_device("cpp17-env") == 0);
    engagelab::Client::from_env().delete_device("cpp17-env");
    CHECK(mock_has_device("cpp17-env") == 0);
    ::unsetenv("ENGAGELAB_BASE_URL");
}

void test_threads(const engagelab::Client &client) {
    mock_reset();
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 0);
    for (std::size_t i = 0; i < ok.size(); ++i) {
        const std::string id = "cpp17-thread-" + std::to_string(i);
        CHECK(mock_add_device(id.c_str()) == 0);
        threads.emplace_back([&client, &ok, i, id] {
            ok[i] = !client.try_delete_device(id) ? 1 : 0;
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    for (int v : ok) {
        CHECK(v == 1);
    }
}

// get_device copies a device's tags, alias and whole answer out of the C
// device (freed inside; ASan would see a leak or a use after free); an unknown
// id is NOT_FOUND, thrown as NotFoundError or returned by try_get_device with
// `out` untouched; a cancelled token and a NUL are refused like delete's.
void test_get_device(const engagelab::Client &client) {
    mock_reset();
    cJSON *seed = cJSON_Parse(
        R"({"registration_id":"cpp17-get","tags":["vip","beta"],"alias":"alice"})");
    CHECK(seed != nullptr && mock_add_device_seed(seed) == 0);
    cJSON_Delete(seed);
    CHECK(mock_add_device("cpp17-get-plain") == 0);

    const engagelab::Device device = client.get_device("cpp17-get");
    CHECK(device.registration_id() == "cpp17-get");
    CHECK(device.tags() == std::vector<std::string>({"vip", "beta"}));
    CHECK(device.alias() == std::optional<std::string>("alice"));
    cJSON *raw = cJSON_Parse(device.raw_json().c_str());
    cJSON *want = cJSON_Parse(R"({"tags":["vip","beta"],"alias":"alice"})");
    CHECK(raw != nullptr && want != nullptr && cJSON_Compare(raw, want, true));
    cJSON_Delete(raw);
    cJSON_Delete(want);
    CHECK(mock_has_device("cpp17-get") == 1);

    engagelab::Device plain;
    CHECK(!client.try_get_device("cpp17-get-plain", engagelab::CallOptions{nullptr, 5s}, plain));
    CHECK(plain.registration_id() == "cpp17-get-plain" && plain.tags().empty() && !plain.alias());

    auto e = expect_throw<engagelab::NotFoundError>([&] { client.get_device("cpp17-get-nope"); },
                                                    "unknown id");
    CHECK(e.status() == Status::NotFound && e.http_status() == std::optional<std::uint16_t>(400));
    CHECK(e.api_code() == std::optional<std::int64_t>(27002) && e.attempts() == 1);
    CHECK(!e.maybe_deleted() && contains(e.what(), e.message()));
    check_no_secret(e);

    engagelab::Device untouched = device;
    std::optional<engagelab::Error> r = client.try_get_device("cpp17-get-nope", untouched);
    CHECK(r && r->status() == Status::NotFound && std::string(r->what()) == e.what());
    CHECK(untouched.registration_id() == "cpp17-get" && untouched.tags().size() == 2);

    const std::string with_nul("cpp17\0get", 9);
    e = expect_throw<engagelab::InvalidArgumentError>([&] { client.get_device(with_nul); },
                                                      "NUL in id");
    CHECK(e.attempts() == 0);
    const engagelab::CancelToken token;
    token.cancel();
    e = expect_throw<engagelab::CancelledError>(
        [&] { client.get_device("cpp17-get", engagelab::CallOptions{&token, std::nullopt}); },
        "cancelled token");
    CHECK(e.attempts() == 0);
}

using Ids = std::vector<std::string>;

// get_alias copies the ids out of the C list (freed inside; ASan would see a
// leak or a use after free), narrowed by platforms; an unknown alias is an
// empty vector; a bad alias or platform list, and a NUL in either, are
// refused before sending; try_get_alias returns the error with `out`
// untouched; a server's error is thrown as its class.
void test_get_alias(const engagelab::Client &client) {
    mock_reset();
    for (const char *seed : {R"({"registration_id":"cpp17-a","alias":"cpp17-user","platform":"android"})",
                             R"({"registration_id":"cpp17-i","alias":"cpp17-user","platform":"ios"})",
                             R"({"registration_id":"cpp17-x","alias":"cpp17-other"})"}) {
        CHECK(mock_add_device_json(seed) == 0);
    }
    CHECK(client.get_alias("cpp17-user") == Ids({"cpp17-a", "cpp17-i"}));
    CHECK(client.get_alias("cpp17-user", {"ios"}) == Ids({"cpp17-i"}));
    CHECK(client.get_alias("cpp17-user", {}, engagelab::CallOptions{nullptr, 5s}) ==
          Ids({"cpp17-a", "cpp17-i"}));
    // Views into longer buffers: only the viewed bytes are sent.
    const std::string buffer = "cpp17-user-and-more", names = "android-web";
    CHECK(client.get_alias(std::string_view(buffer).substr(0, 10),
                           {std::string_view(names).substr(0, 7)}) == Ids({"cpp17-a"}));
    CHECK(last_path() == "/v4/aliases/cpp17-user?platform=android");
    CHECK(client.get_alias("cpp17-nobody").empty());
    CHECK(mock_has_device("cpp17-a") == 1 && mock_has_device("cpp17-i") == 1);

    Ids out = {"stale"};
    CHECK(!client.try_get_alias("cpp17-user", {"android"}, out));
    CHECK(out == Ids({"cpp17-a"}));
    CHECK(!client.try_get_alias("cpp17-nobody", out) && out.empty());
    CHECK(requests_logged() == 7);

    // Refused before sending, named as the core names them.
    mock_reset();
    auto e = expect_throw<engagelab::InvalidArgumentError>([&] { client.get_alias(""); },
                                                          "empty alias");
    CHECK(e.message() == "alias is empty" && e.attempts() == 0 && !e.maybe_deleted());
    e = expect_throw<engagelab::InvalidArgumentError>([&] { client.get_alias("cpp17/user"); },
                                                      "slash in alias");
    CHECK(contains(e.message(), "'/' at byte 5"));
    e = expect_throw<engagelab::InvalidArgumentError>(
        [&] { client.get_alias("cpp17-user", {"android", "web"}); }, "unknown platform");
    CHECK(contains(e.message(), "platform \"web\" is not one of android, ios, hmos"));
    // A NUL: refused, not cut to "cpp17" or to "ios".
    e = expect_throw<engagelab::InvalidArgumentError>(
        [&] { client.get_alias(std::string_view("cpp17\0user", 10)); }, "NUL in alias");
    CHECK(e.message() ==
          "alias contains a control character U+0000 at byte 5; an alias is one path segment of "
          "visible characters");
    e = expect_throw<engagelab::InvalidArgumentError>(
        [&] { client.get_alias("cpp17-user", {"android", std::string_view("ios\0web", 7)}); },
        "NUL in platforms");
    CHECK(e.message() == "platforms[1] contains a NUL byte");
    out = {"kept"};
    std::optional<engagelab::Error> r = client.try_get_alias("", out);
    CHECK(r && r->status() == Status::InvalidArgument && r->message() == "alias is empty");
    r = client.try_get_alias(std::string_view("a\0", 2), {}, out);
    CHECK(r && r->status() == Status::InvalidArgument);
    CHECK(out == Ids({"kept"}));
    CHECK(requests_logged() == 0);

    // A server's error: returned, or thrown as its class.
    CHECK(script_alias("cpp17-404",
                       "[{\"status\":404,\"body\":\"{\\\"code\\\":20101,\\\"message\\\":\\\"no "
                       "such alias\\\"}\"}]") == 0);
    r = client.try_get_alias("cpp17-404", {"hmos"}, out);
    CHECK(r && r->status() == Status::NotFound);
    CHECK(r && r->http_status() == std::optional<std::uint16_t>(404) && r->message() == "no such alias");
    CHECK(r && r->attempts() == 1 && !r->maybe_deleted());
    CHECK(out == Ids({"kept"}));
    if (r) {
        check_no_secret(*r);
    }
    CHECK(script_alias("cpp17-404", "[{\"status\":404,\"body\":\"\"}]") == 0);
    e = expect_throw<engagelab::NotFoundError>([&] { client.get_alias("cpp17-404"); }, "404");
    CHECK(e.http_status() == std::optional<std::uint16_t>(404));
}

// get_alias with a cancel token: cancelled before, nothing is sent; cancelled
// from another thread while the server is silent, CancelledError long before
// the answer; a zero per-call timeout is the core's TIMEOUT, nothing sent.
void test_get_alias_cancel(const engagelab::Client &client) {
    mock_reset();
    const engagelab::CancelToken before;
    before.cancel();
    auto e = expect_throw<engagelab::CancelledError>(
        [&] { client.get_alias("cpp17-user", {}, engagelab::CallOptions{&before, std::nullopt}); },
        "cancelled token");
    CHECK(e.attempts() == 0 && !e.maybe_deleted());
    Ids out = {"kept"};
    std::optional<engagelab::Error> r =
        client.try_get_alias("cpp17-user", {"ios"}, engagelab::CallOptions{&before, std::nullopt}, out);
    CHECK(r && r->status() == Status::Cancelled && out == Ids({"kept"}));
    CHECK(requests_logged() == 0);

    CHECK(script_alias("cpp17-slow",
                       "[{\"status\":200,\"body\":\"{\\\"registration_ids\\\":[]}\","
                       "\"delay_ms\":5000}]") == 0);
    const engagelab::CancelToken token;
    std::thread canceller([&token] {
        std::this_thread::sleep_for(200ms);
        token.cancel();
    });
    const auto start = std::chrono::steady_clock::now();
    e = expect_throw<engagelab::CancelledError>(
        [&] { client.get_alias("cpp17-slow", {}, engagelab::CallOptions{&token, std::nullopt}); },
        "cancelled mid-call");
    const auto took = std::chrono::steady_clock::now() - start;
    canceller.join();
    CHECK(took < 3000ms);  // the answer would come after 5000 ms; valgrind is slow
    CHECK(e.status() == Status::Cancelled && e.attempts() == 1 && !e.maybe_deleted());

    mock_reset();
    e = expect_throw<engagelab::TimeoutError>(
        [&] { client.get_alias("cpp17-user", {}, engagelab::CallOptions{nullptr, 0ms}); },
        "zero per-call timeout");
    CHECK(e.attempts() == 0 && requests_logged() == 0);
}

}  // namespace

int main() {
    mock_init();
    const std::string url = mock_url();
    CHECK(std::string(engagelab::status_name(Status::RateLimited)) == "RATE_LIMITED");

    test_success_and_every_setter(url);
    test_builder_failures(url);
    {
        const engagelab::Client client = mock_client(url);
        test_categories(client, url);
        test_invalid_ids(client);
        test_try_delete_device(client);
        test_get_device(client);
        test_get_alias(client);
        test_get_alias_cancel(client);
        test_cancel_token(client);
        test_threads(client);
    }
    test_moves(url);
    test_from_env(url);

    mock_cleanup();
    if (failures != 0) {
        std::fprintf(stderr, "cpp17_test: %d failed\n", failures);
        return 1;
    }
    std::printf("cpp17_test: ok\n");
    return 0;
}
