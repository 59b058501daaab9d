// Erases the users named as arguments (their aliases) through the C++17 API
// (include/engagelab_push.hpp): every device bound to them is backed up,
// deleted through the bulk engine and checked again, with a report and a
// journal in the current directory.
//
//   ENGAGELAB_APP_KEY=... ENGAGELAB_MASTER_SECRET=... erase_users_cpp ALIAS...
//
// Optional: ENGAGELAB_REGION or ENGAGELAB_BASE_URL. Exits 0 when every device
// was deleted and no alias is bound any more, 1 otherwise, 2 on bad usage.
#include <engagelab_push.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s ALIAS...\n", argv[0]);
        return 2;
    }
    const std::vector<std::string> aliases(argv + 1, argv + argc);
    try {
        const engagelab::Client client = engagelab::Client::from_env();
        engagelab::BulkOptions options;
        options.backup = "erased.backup.jsonl";
        options.report = "erasure.report.jsonl";
        options.journal = "erasure.journal";
        const engagelab::Erasure erasure = client.erase_users(aliases, options);
        for (const engagelab::ErasedUser &u : erasure.users) {
            std::string state = "no device bound";
            if (!u.still_bound) {
                state = "not checked";
            } else if (!u.still_bound->empty()) {
                state = "still bound:";
                for (const std::string &id : *u.still_bound) state += " " + id;
            }
            std::printf("%s: %s\n", u.alias.c_str(), state.c_str());
        }
        std::printf("deleted %llu, failed %llu\n",
                    static_cast<unsigned long long>(erasure.summary.deleted),
                    static_cast<unsigned long long>(erasure.summary.failed));
        return erasure.is_success() ? 0 : 1;
    } catch (const engagelab::BulkError &e) {
        // Only a run stopped mid-way (a file it could not write) has deleted
        // anything; every other failure sent no DELETE.
        if (e.kind() == engagelab::BulkErrorKind::WriteFailed) {
            std::fprintf(stderr, "c++: stopped after deleting %llu: %s\n",
                         static_cast<unsigned long long>(e.summary().deleted), e.what());
        } else {
            std::fprintf(stderr, "c++: nothing erased (%s): %s\n", e.status_name(), e.what());
        }
        return 1;
    } catch (const engagelab::Error &e) {
        std::fprintf(stderr, "c++: nothing erased (%s): %s\n", e.status_name(), e.what());
        return 1;
    }
}
