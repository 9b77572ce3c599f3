// The registry client against a real registry (CNCF distribution): blobs streamed to disk.
#include "rcd/registry/client.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/growing_file.hpp"

#include "registry_server.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

using namespace rcd;

using Fixture = test::RegistryFixture;

TEST_CASE("a blob streams into a file, checked against its digest", "[registry]") {
    Fixture f;
    // Larger than curl's buffer, so it arrives in several pieces.
    std::string data;
    for (int i = 0; data.size() < (3u << 20); ++i)
        data += std::to_string(i) + ",";
    auto blob = image::Blob::of("application/octet-stream", data);
    REQUIRE(f.client->push_blob("team/app", blob, std::nullopt));

    std::int64_t reported = 0;
    util::GrowingFile growing; // what a reader following the download sees
    auto size = f.client->download_blob(
        "team/app", blob.digest, std::ssize(blob.data), f.dir / "blob",
        [&](std::int64_t done, std::int64_t) { reported = done; }, &growing);
    REQUIRE(size);
    CHECK(*size == static_cast<std::int64_t>(data.size()));
    CHECK(reported == static_cast<std::int64_t>(data.size()));
    CHECK(util::read_file(f.dir / "blob") == data);
    auto followed = growing.wait_finished();
    CHECK(followed.good);
    CHECK(followed.size == *size);
    CHECK(followed.fd >= 0);
}

TEST_CASE("a blob that does not match its digest, or is missing, leaves no file", "[registry]") {
    Fixture f;
    auto blob = image::Blob::of("application/octet-stream", "the real contents");
    REQUIRE(f.client->push_blob("team/app", blob, std::nullopt));
    // The registry's storage is damaged: it serves other bytes under the same digest.
    REQUIRE(util::write_file_atomic(f.server.blob_file(blob.digest), "the fake contents"));

    util::GrowingFile growing;
    auto damaged = f.client->download_blob("team/app", blob.digest, std::ssize(blob.data),
                                           f.dir / "blob", {}, &growing);
    REQUIRE_FALSE(damaged);
    CHECK(growing.wait_finished().broken); // a reader following it commits nothing
    CHECK(damaged.error().message.find("does not match its digest") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(f.dir / "blob"));

    auto missing =
        f.client->download_blob("team/app", "sha256:" + std::string(64, '0'), 10, f.dir / "blob");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("404") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(f.dir / "blob"));
}

TEST_CASE("a blob longer than its descriptor says stops at that size", "[registry]") {
    Fixture f;
    auto blob = image::Blob::of("application/octet-stream", std::string(100000, 'x'));
    REQUIRE(f.client->push_blob("team/app", blob, std::nullopt));
    // A hostile registry streams more than the manifest promised (it would fill the disk).
    auto longer = f.client->download_blob("team/app", blob.digest, 1000, f.dir / "blob");
    REQUIRE_FALSE(longer);
    CHECK(longer.error().message.find("larger than the 1000 bytes") != std::string::npos);
    CHECK(longer.error().code == ExitCode::registry);
    CHECK_FALSE(std::filesystem::exists(f.dir / "blob"));
}

TEST_CASE("a blob pushed from a file arrives whole, and a file that is not its digest is refused",
          "[registry]") {
    Fixture f;
    std::string data;
    for (int i = 0; data.size() < (5u << 20); ++i)
        data += std::to_string(i * 7919LL) + ";";
    auto blob = image::Blob::of("application/octet-stream", data);
    REQUIRE(util::write_file_atomic(f.dir / "archive", data));
    std::int64_t sent = 0;
    auto pushed = f.client->push_blob_file("team/cache", blob.digest, f.dir / "archive",
                                           [&](std::int64_t done, std::int64_t) { sent = done; });
    REQUIRE(pushed);
    CHECK(*pushed == registry::BlobOutcome::uploaded);
    CHECK(sent == std::ssize(data));
    REQUIRE(f.client->download_blob("team/cache", blob.digest, std::ssize(data), f.dir / "back"));
    CHECK(util::read_file(f.dir / "back") == data);

    REQUIRE(util::write_file_atomic(f.dir / "other", data + "x"));
    auto other = image::Blob::of("application/octet-stream", "not the file");
    CHECK_FALSE(f.client->push_blob_file("team/cache", other.digest, f.dir / "other"));
    auto missing = f.client->push_blob_file("team/cache", other.digest, f.dir / "missing");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("missing") != std::string::npos);
}
