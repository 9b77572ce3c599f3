#include "registry/http.hpp"
#include "registry_server.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace rcd::registry::detail;

TEST_CASE("an origin is scheme, host and port, whatever else the URL holds") {
    CHECK(origin_of("https://Registry.Example:443/v2/") ==
          Origin{"https", "registry.example", 443});
    CHECK(origin_of("https://registry.example/v2/") == origin_of("https://registry.example:443/x"));
    CHECK(origin_of("http://user:pw@127.0.0.1:5000/v2/?x=1") == Origin{"http", "127.0.0.1", 5000});
    CHECK(origin_of("http://[::1]:5000/v2/") == Origin{"http", "[::1]", 5000});
    CHECK_FALSE(origin_of("https://registry.example/") == origin_of("http://registry.example/"));
    CHECK_FALSE(origin_of("https://registry.example/") ==
                origin_of("https://registry.example:8443/"));
    CHECK_FALSE(origin_of("https://registry.example/") == origin_of("https://storage.example/"));
    // Userinfo cannot pass one host off as another.
    CHECK(origin_of("https://registry.example@evil.example/").host == "evil.example");
    CHECK(origin_of("https://x:notaport/").port == -1);
}

TEST_CASE("a Location resolves against the URL that sent it") {
    const std::string base = "https://r.example:5000/v2/app/blobs/uploads/?x=1";
    CHECK(resolve_url(base, "https://s3.example/bucket?sig=1") ==
          "https://s3.example/bucket?sig=1");
    CHECK(resolve_url(base, "/v2/app/blobs/uploads/abc?_state=z") ==
          "https://r.example:5000/v2/app/blobs/uploads/abc?_state=z");
    CHECK(resolve_url(base, "//cdn.example/blob") == "https://cdn.example/blob");
    CHECK(resolve_url(base, "abc") == "https://r.example:5000/v2/app/blobs/uploads/abc");
}

TEST_CASE("a printed URL carries neither userinfo nor its query") {
    CHECK(printable_url("https://user:token@r.example/v2/x?_state=secret&digest=sha256:1") ==
          "https://r.example/v2/x");
    CHECK(printable_url("/v2/app/blobs/uploads/?mount=sha256:1&from=x") ==
          "/v2/app/blobs/uploads/");
    CHECK(printable_url("https://r.example/v2/") == "https://r.example/v2/");
}

TEST_CASE("connections are kept between requests, one thread or several", "[registry]") {
    rcd::test::RegistryServer server;
    REQUIRE(server.running());
    HttpRequest ping{"GET", "http://" + server.address() + "/v2/", {}, {}, nullptr, std::nullopt};
    auto first = perform(ping, {});
    REQUIRE(first);
    CHECK(first->status == 200);
    CHECK(first->new_connection);
    for (int i = 0; i < 5; ++i) {
        auto again = perform(ping, {});
        REQUIRE(again);
        CHECK_FALSE(again->new_connection);
    }
    // Four threads at once hold up to four handles, each keeping its connection: two rounds of
    // 20 requests open at most three more than the one already open, however the threads
    // interleave (without the pool every request would open one).
    auto round = [&] {
        std::atomic<int> opened{0}, failed{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 5; ++i) {
                    auto r = perform(ping, {});
                    if (!r || r->status != 200)
                        ++failed;
                    else if (r->new_connection)
                        ++opened;
                }
            });
        for (auto& t : threads)
            t.join();
        CHECK(failed == 0);
        return opened.load();
    };
    const int opened = round() + round();
    CHECK(opened <= 3);
}

TEST_CASE("a payload reads from memory or from a range of a file") {
    Payload memory(std::string_view("hello, world"));
    char buffer[32] = {};
    CHECK(memory.slice(7, 100).size() == 5);
    CHECK(memory.read(7, buffer, 100) == 5);
    CHECK(std::string(buffer, 5) == "world");

    char path[] = "/tmp/rcd-payload-XXXXXX";
    int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "0123456789", 10) == 10);
    Payload file = Payload::file(fd, 2, 6); // "234567"
    Payload tail = file.slice(4, 10);       // "67"
    CHECK(tail.size() == 2);
    CHECK(tail.read(0, buffer, 10) == 2);
    CHECK(std::string(buffer, 2) == "67");
    CHECK(Payload::file(fd, 8, 5).read(0, buffer, 5) == -1); // the file is shorter than promised
    ::close(fd);
    ::unlink(path);
}
