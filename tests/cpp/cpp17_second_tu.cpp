// A second translation unit including engagelab_push.hpp: linking it with
// cpp17_test.cpp proves the header defines nothing twice (header-only).
#include <engagelab_push.hpp>

#include <string>

#include "credentials.h"

bool delete_in_second_tu(const std::string &url, const std::string &id);

bool delete_in_second_tu(const std::string &url, const std::string &id) {
    try {
        engagelab::Client::builder(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET).base_url(url).build().delete_device(id);
        return true;
    } catch (const engagelab::NotFoundError &) {
        return false;
    }
}
