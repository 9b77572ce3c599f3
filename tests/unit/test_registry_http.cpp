#include "registry/http.hpp"

#include <catch2/catch.hpp>

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
