#include "rcd/registry/reference.hpp"

#include <catch2/catch.hpp>

using namespace rcd::registry;

TEST_CASE("a bare name is a Docker Hub library image at latest") {
    auto r = parse_reference("alpine");
    REQUIRE(r);
    CHECK(r->registry == "docker.io");
    CHECK(r->repository == "library/alpine");
    CHECK(r->tag == "latest");
    CHECK(r->str() == "docker.io/library/alpine:latest");
    CHECK(api_host(r->registry) == "registry-1.docker.io");
}

TEST_CASE("host and port, nested paths, tags and digests") {
    auto r = parse_reference("127.0.0.1:5000/team/sub/hello-api:v1.2");
    REQUIRE(r);
    CHECK(r->registry == "127.0.0.1:5000");
    CHECK(r->repository == "team/sub/hello-api");
    CHECK(r->tag == "v1.2");
    std::string digest = "sha256:" + std::string(64, 'a');
    auto d = parse_reference("gcr.io/distroless/cc-debian12@" + digest);
    REQUIRE(d);
    CHECK(d->registry == "gcr.io");
    CHECK(d->digest == digest);
    CHECK_FALSE(d->tag);
    auto user = parse_reference("someone/app");
    CHECK(user->registry == "docker.io");
    CHECK(user->repository == "someone/app");
    CHECK(parse_reference("localhost/app")->registry == "localhost");
}

TEST_CASE("bad references are rejected with the reason") {
    auto upper = parse_reference("127.0.0.1:5000/Team/app");
    REQUIRE_FALSE(upper);
    CHECK(upper.error().message.find("'Team' is not a valid name") != std::string::npos);
    CHECK_FALSE(parse_reference("app:bad tag"));
    CHECK_FALSE(parse_reference("app@sha256:123"));
    CHECK_FALSE(parse_reference(""));
    CHECK_FALSE(parse_reference("host:5000/"));
}

TEST_CASE("tags follow Docker's grammar") {
    CHECK(valid_tag("latest"));
    CHECK(valid_tag(std::string(40, 'a') + "-dirty"));
    CHECK_FALSE(valid_tag(".hidden"));
    CHECK_FALSE(valid_tag(std::string(129, 'a')));
}

TEST_CASE("loopback registries are recognised") {
    CHECK(is_loopback("127.0.0.1:5000"));
    CHECK(is_loopback("localhost:5000"));
    CHECK(is_loopback("[::1]:5000"));
    CHECK_FALSE(is_loopback("registry.example.com"));
    CHECK_FALSE(is_loopback("10.0.0.1:5000"));
}
