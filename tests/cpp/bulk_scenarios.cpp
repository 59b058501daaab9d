// The C++ runner of tests/contract/scenarios/bulk.json: Client::delete_devices,
// delete_devices_from_file and erase_users (include/engagelab_push.hpp)
// against engagelab-mock (ENGAGELAB_MOCK_URL), with BulkOptions' callbacks.
// A refused or stopped run is a BulkError whose kind and summary are checked
// like the C runner's status and summary. The file is validated by lint.
//
// Usage: cpp_bulk_scenarios BULK.json [NAME...]
#include <engagelab_push.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "credentials.h"
#include "mock.h"

namespace {

using Json = const cJSON *;

// The first failure of the scenario being run.
std::string failure;

void fail(const std::string &what) {
    if (failure.empty()) failure = what;
}

Json field(Json o, const char *name) { return cJSON_GetObjectItemCaseSensitive(o, name); }

std::string text(Json o, const char *name, const char *dflt = "") {
    Json v = field(o, name);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

std::vector<std::string> strings(Json array) {
    std::vector<std::string> out;
    Json s;
    cJSON_ArrayForEach(s, array) out.emplace_back(s->valuestring);
    return out;
}

std::string joined(std::vector<std::string> items) {
    std::sort(items.begin(), items.end());
    std::string out;
    for (const std::string &i : items) out += i + "; ";
    return out;
}

void compare(const std::string &what, const std::vector<std::string> &want,
             const std::vector<std::string> &got) {
    const std::string w = joined(want), g = joined(got);
    if (w != g) fail(what + ": expected [" + w + "], got [" + g + "]");
}

std::string kind_name(engagelab::BulkErrorKind kind) {
    static const char *const names[] = {"",   "GUARD",        "DECLINED",         "JOURNAL_MISMATCH",
                                        "IO", "JOURNAL_BUSY", "WRITE_FAILED",     "INVALID_ARGUMENT",
                                        "LOOKUP"};
    const auto i = static_cast<std::size_t>(kind);
    return i < sizeof names / sizeof names[0] ? names[i] : "UNKNOWN";
}

// The JSON lines of `path` from line `from` on; `total` is the file's count.
std::vector<cJSON *> json_lines(const std::string &path, std::size_t from, std::size_t &total) {
    std::ifstream in(path);
    std::vector<cJSON *> out;
    std::string line;
    total = 0;
    while (std::getline(in, line)) {
        if (total++ < from) continue;
        if (cJSON *v = cJSON_Parse(line.c_str())) out.push_back(v);
    }
    return out;
}

void check_count(Json want, const char *name, std::uint64_t got) {
    Json v = field(want, name);
    if (v != nullptr && static_cast<std::uint64_t>(v->valuedouble) != got) {
        fail(std::string("summary.") + name + ": expected " + std::to_string(static_cast<std::uint64_t>(v->valuedouble)) +
             ", got " + std::to_string(got));
    }
}

void check_flag(Json want, const char *name, bool got) {
    Json v = field(want, name);
    if (v != nullptr && static_cast<bool>(cJSON_IsTrue(v)) != got) {
        fail(std::string(name) + ": expected " + (got ? "false" : "true"));
    }
}

void check_summary(Json want, const engagelab::BulkSummary &s) {
    if (want == nullptr) return;
    check_count(want, "entries", s.entries);
    check_count(want, "ids", s.ids);
    check_count(want, "deleted", s.deleted);
    check_count(want, "not_found", s.not_found);
    check_count(want, "failed", s.failed);
    check_count(want, "invalid", s.invalid);
    check_count(want, "duplicate", s.duplicate);
    check_count(want, "already_done", s.already_done);
    check_count(want, "would_delete", s.would_delete);
    check_count(want, "not_started", s.not_started);
    check_count(want, "rate_limited", s.rate_limited);
    check_flag(want, "interrupted", s.interrupted);
    check_flag(want, "dry_run", s.dry_run);
    check_flag(want, "stopped", s.stopped.has_value());
}

void check_requests(Json want, int from) {
    cJSON *log = mock_log();
    if (log == nullptr) return fail("cannot read the mock's log");
    std::vector<std::string> got, expected;
    for (int i = from; i < cJSON_GetArraySize(log); ++i) {
        Json r = cJSON_GetArrayItem(log, i);
        got.push_back(text(r, "method", "?") + " " + text(r, "path", "?"));
    }
    Json r;
    cJSON_ArrayForEach(r, want) expected.push_back(text(r, "method") + " " + text(r, "path"));
    compare("requests", expected, got);
    cJSON_Delete(log);
}

// The report's (id, outcome) pairs, or the backup's ids, written since `seen`.
void check_lines(const char *what, Json want, const std::string &path, std::size_t &seen) {
    std::size_t total = 0;
    std::vector<std::string> got, expected;
    const bool report = std::string(what) == "report";
    for (cJSON *l : json_lines(path, seen, total)) {
        if (!report) {
            got.push_back(text(l, "registration_id", "?"));
        } else if (field(l, "outcome") != nullptr) {
            got.push_back(text(l, "registration_id", "?") + " " + text(l, "outcome", "?"));
        }
        cJSON_Delete(l);
    }
    seen = total;
    if (want == nullptr) return;
    Json w;
    cJSON_ArrayForEach(w, want) {
        expected.push_back(report ? text(w, "registration_id") + " " + text(w, "outcome")
                                  : std::string(w->valuestring));
    }
    compare(what, expected, got);
}

cJSON *id_array(const std::vector<std::string> &ids) {
    cJSON *out = cJSON_CreateArray();
    for (const std::string &id : ids) cJSON_AddItemToArray(out, cJSON_CreateString(id.c_str()));
    return out;
}

void check_json(const char *what, Json want, Json got) {
    if (want == nullptr || cJSON_Compare(want, got, 1)) return;
    char *w = cJSON_PrintUnformatted(want), *g = cJSON_PrintUnformatted(got);
    fail(std::string(what) + ": expected " + w + ", got " + g);
    std::free(w);
    std::free(g);
}

void check_users(Json want, const engagelab::Erasure &erasure) {
    cJSON *got = cJSON_CreateArray();
    for (const engagelab::ErasedUser &u : erasure.users) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "alias", u.alias.c_str());
        cJSON_AddItemToObject(o, "registration_ids", id_array(u.registration_ids));
        cJSON_AddItemToObject(o, "still_bound",
                              u.still_bound ? id_array(*u.still_bound) : cJSON_CreateNull());
        cJSON_AddItemToArray(got, o);
    }
    check_json("users", want, got);
    cJSON_Delete(got);
}

void check_store(Json ids, int present) {
    Json id;
    cJSON_ArrayForEach(id, ids) {
        if (mock_has_device(id->valuestring) != present) {
            fail(std::string("device ") + id->valuestring + ": expected " +
                 (present ? "in the store" : "gone"));
        }
    }
}

// Where one scenario's runs keep their files, and how much of the report and
// backup earlier runs have seen.
struct Files {
    std::string dir;
    std::size_t report_seen = 0, backup_seen = 0;
    std::string path(const char *name) const { return dir + "/" + name; }
};

void run_once(const engagelab::Client &client, const std::string &call, Json run, Files &files) {
    Json settings = field(run, "settings"), expect = field(run, "expect"), input = field(run, "input");
    const std::thread::id caller = std::this_thread::get_id();
    engagelab::CancelToken token;
    engagelab::BulkOptions options;
    const std::string confirm = text(run, "confirm");
    Json cancel_at = field(run, "cancel_when_done");
    int confirmed = 0, in_callback = 0;
    el_bulk_plan plan{};
    cJSON *resolved = cJSON_CreateArray();

    if (Json v = field(settings, "qps")) options.qps = static_cast<std::uint32_t>(v->valuedouble);
    if (Json v = field(settings, "concurrency")) options.concurrency = static_cast<std::uint32_t>(v->valuedouble);
    if (Json v = field(settings, "max_deletions")) options.max_deletions = static_cast<std::uint64_t>(v->valuedouble);
    options.dry_run = cJSON_IsTrue(field(settings, "dry_run"));
    if (cJSON_IsTrue(field(settings, "journal"))) options.journal = files.path("journal");
    if (cJSON_IsTrue(field(settings, "backup"))) options.backup = files.path("backup.jsonl");
    if (cJSON_IsTrue(field(settings, "report"))) options.report = files.path("report.jsonl");
    options.cancel = &token;
    options.on_progress = [&](const el_bulk_progress &p) {
        if (std::this_thread::get_id() != caller) fail("on_progress ran on another thread");
        if (++in_callback != 1) fail("two callbacks ran at once");
        if (cancel_at != nullptr && p.done >= static_cast<std::uint64_t>(cancel_at->valuedouble)) {
            token.cancel();
        }
        --in_callback;
    };
    if (!confirm.empty()) {
        options.confirm = [&](const el_bulk_plan &p) {
            if (std::this_thread::get_id() != caller) fail("confirm ran on another thread");
            ++confirmed;
            plan = p;
            if (confirm == "cancel") token.cancel();
            return confirm != "decline";
        };
    }
    options.on_resolved = [&](std::string_view alias, const std::vector<std::string> &ids) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "alias", std::string(alias).c_str());
        cJSON_AddItemToObject(entry, "registration_ids", id_array(ids));
        cJSON_AddItemToArray(resolved, entry);
    };

    const int log_before = mock_request_count();
    std::string status = "OK", message;
    engagelab::BulkSummary summary;
    std::optional<engagelab::Erasure> erasure;
    try {
        if (call == "erase_users") {
            erasure = client.erase_users(strings(input), options);
            summary = erasure->summary;
        } else if (call == "delete_devices_from_file") {
            std::string file = files.path("no-such-file.txt");
            if (input != nullptr) {
                file = files.path("input.txt");
                std::ofstream out(file);
                for (const std::string &id : strings(input)) out << id << "\n";
            }
            summary = client.delete_devices_from_file(file, options);
        } else {
            summary = client.delete_devices(strings(input), options);
        }
    } catch (const engagelab::BulkError &e) {
        status = e.status_name();
        message = e.what();
        summary = e.summary();
    } catch (const engagelab::Error &e) {
        status = e.status_name();
        message = e.what();
    }

    if (status != text(expect, "status", "OK")) fail("status: expected " + text(expect, "status", "OK") + ", got " + status + " (" + message + ")");
    if (kind_name(summary.error) != text(expect, "error")) {
        fail("error: expected \"" + text(expect, "error") + "\", got \"" + kind_name(summary.error) + "\" (" + message + ")");
    }
    Json v;
    cJSON_ArrayForEach(v, field(expect, "message_contains")) {
        if (status == "OK" || message.find(v->valuestring) == std::string::npos) {
            fail("message \"" + message + "\" lacks \"" + v->valuestring + "\"");
        }
    }
    if (Json want = field(expect, "plan")) {
        if (confirmed != 1) fail("confirm was called " + std::to_string(confirmed) + " times");
        check_count(want, "entries", plan.entries);
        check_count(want, "ids", plan.ids);
        check_flag(want, "dry_run", plan.dry_run);
    }
    check_summary(field(expect, "summary"), summary);
    check_lines("report", field(expect, "report"), files.path("report.jsonl"), files.report_seen);
    check_lines("backup", field(expect, "backup"), files.path("backup.jsonl"), files.backup_seen);
    if (Json want = field(expect, "requests")) check_requests(want, log_before);
    check_json("resolved", field(expect, "resolved"), resolved);
    if (Json want = field(expect, "users")) {
        if (erasure) check_users(want, *erasure);
        else fail("no erasure to compare users with");
    }
    if (Json want = field(expect, "is_success")) {
        if (!erasure || static_cast<bool>(cJSON_IsTrue(want)) != erasure->is_success()) {
            fail(std::string("is_success: expected ") + (cJSON_IsTrue(want) ? "true" : "false"));
        }
    }
    check_store(field(expect, "device_remains"), 1);
    check_store(field(expect, "device_gone"), 0);
    cJSON_Delete(resolved);
}

void run_scenario(const engagelab::Client &client, Json sc) {
    failure.clear();
    if (mock_reset() != 0) return fail("cannot reset the mock");
    Json item;
    cJSON_ArrayForEach(item, field(sc, "devices")) {
        if (mock_add_device_seed(item) != 0) return fail("cannot seed a device");
    }
    cJSON_ArrayForEach(item, field(sc, "scripts")) {
        char *body = cJSON_PrintUnformatted(item);
        char *answer = control_call(mock_url(), "POST", "/__mock/script", body);
        std::free(body);
        if (answer == nullptr) return fail("cannot queue a script");
        std::free(answer);
    }
    char dir[] = "/tmp/el-cpp-bulk-XXXXXX";
    if (mkdtemp(dir) == nullptr) return fail("cannot make a directory");
    Files files{dir};
    int index = 0;
    cJSON_ArrayForEach(item, field(sc, "runs")) {
        ++index;
        const bool clean = failure.empty();
        run_once(client, text(sc, "call"), item, files);
        if (clean && !failure.empty()) failure = "run " + std::to_string(index) + ": " + failure;
    }
    for (const char *name : {"journal", "journal.lock", "backup.jsonl", "report.jsonl", "input.txt"}) {
        unlink(files.path(name).c_str());
    }
    if (rmdir(dir) != 0) std::fprintf(stderr, "note: %s left behind\n", dir);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s BULK.json [NAME...]\n", argv[0]);
        return 2;
    }
    std::ifstream in(argv[1]);
    std::stringstream buffer;
    buffer << in.rdbuf();
    cJSON *root = cJSON_Parse(buffer.str().c_str());
    if (root == nullptr) {
        std::fprintf(stderr, "cannot read %s as JSON\n", argv[1]);
        return 2;
    }
    mock_init();
    int passed = 0, failed = 0;
    {
        using namespace std::chrono_literals;
        const engagelab::Client client = engagelab::Client::builder(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET)
                                             .base_url(mock_url())
                                             .backoff(1ms, 20ms)
                                             .build();
        Json sc;
        cJSON_ArrayForEach(sc, field(root, "scenarios")) {
            const std::string name = text(sc, "name", "?");
            bool selected = argc == 2;
            for (int i = 2; i < argc; ++i) selected |= name == argv[i];
            if (!selected) continue;
            run_scenario(client, sc);
            if (failure.empty()) {
                ++passed;
                std::printf("ok      %s\n", name.c_str());
            } else {
                ++failed;
                std::printf("FAIL    %s: %s\n", name.c_str(), failure.c_str());
            }
            std::fflush(stdout);
        }
    }
    cJSON_Delete(root);
    mock_cleanup();
    std::printf("bulk scenarios (C++): %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
