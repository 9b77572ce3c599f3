#include "rcd/image/assemble.hpp"
#include "rcd/util/compress.hpp"
#include "rcd/util/hash.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace rcd;
using namespace rcd::image;

namespace {
ImageSpec spec() {
    ImageSpec s;
    s.app = {{"/usr/local/bin/hello",
              "\x7f"
              "ELF binary bytes",
              0755}};
    s.entrypoint = {"/usr/local/bin/hello"};
    s.env = {{"RUST_LOG", "info"}};
    s.exposed_ports = {"8080/tcp"};
    s.labels = {{"org.opencontainers.image.revision", "abc"}};
    s.user = "65532";
    s.mtime = 1'700'000'000;
    return s;
}

struct TarHeader {
    std::string name;
    std::string mode;
    std::string uid;
    std::string mtime;
    char type;
};

// The ustar headers of an uncompressed tar, for checking what a layer holds.
std::vector<TarHeader> headers(const std::string& tar) {
    std::vector<TarHeader> out;
    std::size_t offset = 0;
    auto field = [&](std::size_t at, std::size_t len) {
        std::string f = tar.substr(offset + at, len);
        return f.substr(0, f.find('\0'));
    };
    while (offset + 512 <= tar.size() && tar[offset] != '\0') {
        std::size_t size = std::stoul(field(124, 12), nullptr, 8);
        out.push_back(
            {field(0, 100), field(100, 8), field(108, 8), field(136, 12), tar[offset + 156]});
        offset += 512 + (size + 511) / 512 * 512;
    }
    return out;
}
} // namespace

TEST_CASE("the same inputs give the same image digest") {
    auto a = assemble(spec());
    auto b = assemble(spec());
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->manifest.digest == b->manifest.digest);
    CHECK(a->own_layers[0].digest == b->own_layers[0].digest);
    auto changed = spec();
    changed.app[0].content += "!";
    CHECK(assemble(changed)->manifest.digest != a->manifest.digest);
}

TEST_CASE("the binary layer holds sorted entries owned by 0 with the fixed mtime") {
    auto image = assemble(spec());
    REQUIRE(image);
    auto tar = util::gzip_decompress(image->own_layers[0].data);
    REQUIRE(tar);
    auto entries = headers(*tar);
    REQUIRE(entries.size() == 4);
    CHECK(entries[0].name == "usr/");
    CHECK(entries[1].name == "usr/local/");
    CHECK(entries[2].name == "usr/local/bin/");
    CHECK(entries[3].name == "usr/local/bin/hello");
    CHECK(std::stoul(entries[3].mode, nullptr, 8) == 0755);
    CHECK(entries[3].type == '0');
    CHECK(entries[2].type == '5');
    for (const auto& e : entries) {
        CHECK(std::stol(e.uid, nullptr, 8) == 0);
        CHECK(std::stol(e.mtime, nullptr, 8) == 1'700'000'000);
    }
}

TEST_CASE("gzip layers carry no name and no timestamp") {
    auto image = assemble(spec());
    REQUIRE(image);
    const std::string& gz = image->own_layers[0].data;
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
    CHECK((gz[3] & 0x08) == 0);                     // FNAME flag unset
    CHECK(gz.substr(4, 4) == std::string(4, '\0')); // MTIME zero
}

TEST_CASE("the config carries the fields, the diff ids and the labels") {
    auto image = assemble(spec());
    REQUIRE(image);
    auto config = nlohmann::json::parse(image->config.data);
    CHECK(config["architecture"] == "amd64");
    CHECK(config["os"] == "linux");
    CHECK(config["created"] == "2023-11-14T22:13:20Z");
    CHECK(config["config"]["Entrypoint"][0] == "/usr/local/bin/hello");
    CHECK(config["config"]["User"] == "65532");
    CHECK(config["config"]["WorkingDir"] == "/");
    CHECK(config["config"]["ExposedPorts"].contains("8080/tcp"));
    CHECK(config["config"]["Env"].back() == "RUST_LOG=info");
    CHECK(config["config"]["Env"][0].get<std::string>().starts_with("PATH="));
    CHECK(config["config"]["Labels"]["org.opencontainers.image.revision"] == "abc");
    auto tar = util::gzip_decompress(image->own_layers[0].data);
    CHECK(config["rootfs"]["diff_ids"][0] == util::sha256_digest(*tar));
}

TEST_CASE("the manifest lists the config and layers with sizes and digests") {
    auto s = spec();
    s.files = {{"/etc/hello/config.toml", "x = 1\n", 0644}};
    auto image = assemble(s);
    REQUIRE(image);
    auto manifest = nlohmann::json::parse(image->manifest.data);
    CHECK(manifest["schemaVersion"] == 2);
    CHECK(manifest["mediaType"] == kOciManifest);
    CHECK(manifest["config"]["digest"] == image->config.digest);
    CHECK(manifest["config"]["size"] == image->config.data.size());
    REQUIRE(manifest["layers"].size() == 2);
    CHECK(manifest["layers"][1]["digest"] == image->own_layers[1].digest);
    CHECK(manifest["layers"][0]["mediaType"] == kOciLayerGzip);
    CHECK(image->manifest.digest == util::sha256_digest(image->manifest.data));
}

TEST_CASE("zstd layers are marked as such") {
    auto s = spec();
    s.compression = Compression::zstd;
    auto image = assemble(s);
    REQUIRE(image);
    CHECK(image->own_layers[0].media_type == kOciLayerZstd);
}

TEST_CASE("a base image's layers and env come first") {
    auto s = spec();
    s.base = BaseImage{"base",
                       {{kOciLayerGzip, "sha256:aaa", 10}},
                       {"sha256:bbb"},
                       {"PATH=/bin", "RUST_LOG=warn"},
                       {"base layer"}};
    auto image = assemble(s);
    REQUIRE(image);
    CHECK(image->layers.size() == 2);
    CHECK(image->layers[0].digest == "sha256:aaa");
    CHECK(image->own_layers.size() == 1);
    auto config = nlohmann::json::parse(image->config.data);
    CHECK(config["rootfs"]["diff_ids"][0] == "sha256:bbb");
    CHECK(config["config"]["Env"] == nlohmann::json::array({"PATH=/bin", "RUST_LOG=info"}));
}

TEST_CASE("target triples map to container platforms") {
    CHECK(platform_from_triple("x86_64-unknown-linux-gnu")->architecture == "amd64");
    CHECK(platform_from_triple("aarch64-unknown-linux-musl")->architecture == "arm64");
    CHECK(platform_from_triple("armv7-unknown-linux-gnueabihf")->variant == "v7");
    auto mac = platform_from_triple("aarch64-apple-darwin");
    REQUIRE_FALSE(mac);
    CHECK(mac.error().message == "no container platform for the target 'aarch64-apple-darwin'");
}
