#include "rcd/image/base.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace rcd;

namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

std::string index_of(const std::string& entries) {
    return R"({"schemaVersion":2,"manifests":[)" + entries + "]}";
}

std::string entry(const std::string& digest, const std::string& os, const std::string& arch,
                  const std::string& variant = "") {
    std::string platform = R"({"os":")" + os + R"(","architecture":")" + arch + "\"" +
                           (variant.empty() ? "" : R"(,"variant":")" + variant + "\"") + "}";
    return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest +
           R"(","size":500,"platform":)" + platform + "}";
}

} // namespace

TEST_CASE("manifest kinds come from the media type, or from the shape without one") {
    CHECK(image::manifest_kind(image::kOciIndex, "{}", "b") == image::ManifestKind::index);
    CHECK(image::manifest_kind(image::kDockerManifestList, "{}", "b") ==
          image::ManifestKind::index);
    CHECK(image::manifest_kind(image::kOciManifest, "{}", "b") == image::ManifestKind::image);
    CHECK(image::manifest_kind(image::kDockerManifest, "{}", "b") == image::ManifestKind::image);
    CHECK(image::manifest_kind("", R"({"manifests":[]})", "b") == image::ManifestKind::index);
    CHECK(image::manifest_kind("", R"({"config":{},"layers":[]})", "b") ==
          image::ManifestKind::image);
    auto schema1 = image::manifest_kind("application/vnd.docker.distribution.manifest.v1+prettyjws",
                                        "{}", "debian:12");
    REQUIRE_FALSE(schema1);
    CHECK(schema1.error().code == ExitCode::registry);
    CHECK(schema1.error().message.find("debian:12") != std::string::npos);
    CHECK(schema1.error().hint.find("schema 1") != std::string::npos);
}

TEST_CASE("the index's entry for the platform is chosen, by os, architecture and variant") {
    auto index = index_of(entry(kA, "linux", "arm64", "v8") + "," + entry(kB, "linux", "amd64") +
                          "," + entry(kC, "windows", "amd64"));
    CHECK(image::select_platform(index, {"linux", "amd64", ""}, "b") == kB);
    CHECK(image::select_platform(index, {"linux", "arm64", "v8"}, "b") == kA);
    CHECK(image::select_platform(index, {"linux", "arm64", ""}, "b") == kA);
    CHECK_FALSE(image::select_platform(index, {"linux", "arm64", "v7"}, "b"));
    auto none = image::select_platform(index, {"linux", "s390x", ""}, "debian:12");
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "base image debian:12 has no linux/s390x image");
}

TEST_CASE("a digest from the registry that is not one is refused before it names anything") {
    auto index = index_of(entry("sha256:../../etc/passwd", "linux", "amd64"));
    auto chosen = image::select_platform(index, {"linux", "amd64", ""}, "b");
    REQUIRE_FALSE(chosen);
    CHECK(chosen.error().message.find("not a digest") != std::string::npos);

    auto manifest = image::parse_image_manifest(
        R"({"config":{"digest":")" + kA +
            R"(","size":10},"layers":[{"digest":"sha256:x","size":1}]})",
        "b");
    REQUIRE_FALSE(manifest);
    auto negative = image::parse_image_manifest(
        R"({"config":{"digest":")" + kA + R"(","size":-1},"layers":[]})", "b");
    CHECK_FALSE(negative);
    CHECK_FALSE(image::select_platform("not json", {"linux", "amd64", ""}, "b"));
    CHECK_FALSE(image::parse_image_manifest(R"({"layers":"no"})", "b"));
}

TEST_CASE("an image manifest gives its layers in order and its config") {
    auto manifest = image::parse_image_manifest(
        R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
            kC +
            R"(","size":900},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
            kA +
            R"(","size":100},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
            kB + R"(","size":200}]})",
        "b");
    REQUIRE(manifest);
    REQUIRE(manifest->layers.size() == 2);
    CHECK(manifest->layers[0].digest == kA);
    CHECK(manifest->layers[1].size == 200);
    CHECK(manifest->layers[1].media_type == image::kOciLayerGzip);
    CHECK(manifest->config.digest == kC);
}

TEST_CASE("the base's config gives one diff id per layer, its environment and its history") {
    image::BaseImage base;
    base.reference = "debian:12";
    base.layers = {{image::kOciLayerGzip, kA, 100}};
    REQUIRE(image::read_base_config(
        R"({"rootfs":{"type":"layers","diff_ids":[")" + kB +
            R"("]},"config":{"Env":["PATH=/usr/bin"]},"history":[{"created_by":"ADD rootfs"},{"created_by":"ENV X","empty_layer":true}]})",
        base));
    CHECK(base.diff_ids == std::vector<std::string>{kB});
    CHECK(base.env == std::vector<std::string>{"PATH=/usr/bin"});
    CHECK(base.history == std::vector<std::string>{"ADD rootfs"});

    auto mismatch = image::read_base_config(
        R"({"rootfs":{"diff_ids":[")" + kB + R"(",")" + kC + R"("]}})", base);
    REQUIRE_FALSE(mismatch);
    CHECK(mismatch.error().message.find("names 2 layers, its manifest 1") != std::string::npos);
    CHECK_FALSE(image::read_base_config(R"({"rootfs":{}})", base));
    CHECK_FALSE(image::read_base_config(R"({"rootfs":{"diff_ids":["sha256:zz"]}})", base));
}
