// The C++17 API from an installed libengagelab_push, as a user would build
// it: `c++ -std=c++17 consumer.cpp $(pkg-config --cflags --libs engagelab_push)`.
// Deletes REGISTRATION_ID at BASE_URL with the mock's demo credentials; exits 0
// when deleted, 1 on an engagelab::Error, 2 on bad usage.
#include <engagelab_push.hpp>

#include <chrono>
#include <iostream>

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: " << argv[0] << " BASE_URL REGISTRATION_ID\n";
        return 2;
    }
    try {
        const auto client = engagelab::Client::builder("demo-app-key", "demo-master-secret")
                                .base_url(argv[1])
                                .timeout(std::chrono::seconds(10))
                                .build();
        client.delete_device(argv[2]);
    } catch (const engagelab::NotFoundError &e) {
        std::cerr << argv[2] << ": not found: " << e.what() << '\n';
        return 1;
    } catch (const engagelab::Error &e) {
        std::cerr << argv[2] << ": " << e.status_name() << ": " << e.what() << '\n';
        return 1;
    }
    std::cout << argv[2] << ": deleted\n";
    return 0;
}
