// The bulk benchmark's C++ client: one `Client::delete_devices_from_file`
// run through include/engagelab_push.hpp.
//
//   el_bulk_cpp IDS_FILE QPS REPORT
//
// The client from the environment (ENGAGELAB_APP_KEY, ENGAGELAB_MASTER_SECRET,
// ENGAGELAB_BASE_URL); the figures come from the report's summary line.
#include <engagelab_push.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s IDS_FILE QPS REPORT\n", argv[0]);
        return 2;
    }
    try {
        const engagelab::Client client = engagelab::Client::from_env();
        engagelab::BulkOptions options;
        options.qps = static_cast<std::uint32_t>(std::strtoul(argv[2], nullptr, 10));
        options.max_deletions = 100000000;
        options.report = argv[3];
        const engagelab::BulkSummary summary = client.delete_devices_from_file(argv[1], options);
        return summary.failed == 0 && !summary.interrupted ? 0 : 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "el_bulk_cpp: %s\n", e.what());
        return 1;
    }
}
