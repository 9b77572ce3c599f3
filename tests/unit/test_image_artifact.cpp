#include "rcd/image/artifact.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace rcd;
using namespace rcd::image;

namespace {
Artifact sbom() {
    return {"application/spdx+json",
            Blob::of("application/spdx+json", "{\"spdxVersion\":1}"),
            {{"org.opencontainers.image.created", "2023-11-14T22:13:20Z"}},
            ""};
}
const Descriptor kSubject{kOciManifest, "sha256:" + std::string(64, 'a'), 1234};
} // namespace

TEST_CASE("an artifact manifest points at the empty config, its document and its subject") {
    auto manifest = artifact_manifest(sbom(), kSubject);
    CHECK(manifest.media_type == kOciManifest);
    auto doc = nlohmann::json::parse(manifest.data);
    CHECK(doc["artifactType"] == "application/spdx+json");
    CHECK(doc["config"]["mediaType"] == kEmptyMediaType);
    CHECK(doc["config"]["digest"] == empty_config().digest);
    CHECK(doc["config"]["size"] == 2);
    CHECK(doc["layers"][0]["digest"] == sbom().document.digest);
    CHECK(doc["layers"][0]["mediaType"] == "application/spdx+json");
    CHECK(doc["subject"]["digest"] == kSubject.digest);
    CHECK(doc["subject"]["size"] == 1234);
    CHECK(doc["annotations"]["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z");
    CHECK(empty_config().digest ==
          "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST_CASE("the referrers tag is the digest with a dash") {
    CHECK(referrers_tag(kSubject.digest) == "sha256-" + std::string(64, 'a'));
}

TEST_CASE("the referrers index lists each artifact once and keeps what others listed") {
    const auto a = sbom();
    const auto manifest = artifact_manifest(a, kSubject);
    auto first = add_referrers(std::nullopt, {{a, manifest}});
    REQUIRE(first);
    REQUIRE(*first);
    auto index = nlohmann::json::parse((*first)->data);
    CHECK(index["mediaType"] == kOciIndex);
    REQUIRE(index["manifests"].size() == 1);
    CHECK(index["manifests"][0]["digest"] == manifest.digest);
    CHECK(index["manifests"][0]["artifactType"] == "application/spdx+json");
    CHECK(index["manifests"][0]["annotations"]["org.opencontainers.image.created"] ==
          "2023-11-14T22:13:20Z");

    auto again = add_referrers((*first)->data, {{a, manifest}});
    REQUIRE(again);
    CHECK_FALSE(*again); // listed already: nothing to write

    const Artifact other{
        "application/vnd.in-toto+json", Blob::of("application/vnd.in-toto+json", "{}"), {}, ""};
    const auto other_manifest = artifact_manifest(other, kSubject);
    auto second = add_referrers((*first)->data, {{a, manifest}, {other, other_manifest}});
    REQUIRE(second);
    REQUIRE(*second);
    auto both = nlohmann::json::parse((*second)->data)["manifests"];
    REQUIRE(both.size() == 2);
    CHECK(both[0]["digest"] == manifest.digest); // kept, in its place
    CHECK(both[1]["digest"] == other_manifest.digest);

    auto foreign =
        add_referrers(std::string(R"({"schemaVersion":2,"config":{}})"), {{a, manifest}});
    REQUIRE_FALSE(foreign);
    CHECK(foreign.error().code == ExitCode::registry);
}
