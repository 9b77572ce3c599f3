#include "rcd/supply/sbom.hpp"

#include <catch2/catch.hpp>

using namespace rcd;
using namespace rcd::supply;

namespace {

SbomInput input() {
    cargo::DependencyGraph graph;
    graph.root = "app-id";
    graph.packages = {
        {"app-id", "app", "0.1.0", std::nullopt, "", "", "", true},
        {"serde-id", "serde", "1.0.0", "registry+https://github.com/rust-lang/crates.io-index",
         "MIT/Apache-2.0", "abcd", "https://github.com/serde-rs/serde", false},
        {"cc-id", "cc", "1.0.0", "git+https://github.com/x/cc?rev=v1#0123abc", "MIT", "", "",
         false},
        {"my_crate-id", "my_crate", "2.0.0+build", std::nullopt, "", "", "", false},
    };
    graph.edges = {{"app-id", "cc-id", cargo::DependencyKind::build},
                   {"app-id", "my_crate-id", cargo::DependencyKind::normal},
                   {"app-id", "serde-id", cargo::DependencyKind::normal}};
    return {graph,
            "api",
            "0123456789abcdef0123456789abcdef01234567",
            1700000000,
            "https://github.com/team/api",
            "9.9.9"};
}

const nlohmann::json& package(const nlohmann::json& doc, const std::string& name) {
    for (const auto& p : doc["packages"])
        if (p["name"] == name)
            return p;
    FAIL("no package " << name);
    throw std::logic_error("unreachable");
}

} // namespace

TEST_CASE("cargo's licences become SPDX expressions") {
    CHECK(license_expression("MIT/Apache-2.0") == "MIT OR Apache-2.0");
    CHECK(license_expression("MIT / Apache-2.0") == "MIT OR Apache-2.0");
    CHECK(license_expression("MIT OR Apache-2.0") == "MIT OR Apache-2.0");
    CHECK(license_expression("") == "NOASSERTION");
}

TEST_CASE("purls and download locations follow each package's source") {
    auto in = input();
    const auto& p = in.graph.packages;
    CHECK(purl(p[1]) == "pkg:cargo/serde@1.0.0");
    CHECK(purl(p[3]) == "pkg:cargo/my_crate@2.0.0%2Bbuild");
    CHECK(download_location(p[1], in) == "https://crates.io/api/v1/crates/serde/1.0.0/download");
    CHECK(download_location(p[2], in) == "git+https://github.com/x/cc@0123abc");
    CHECK(download_location(p[0], in) ==
          "git+https://github.com/team/api@0123456789abcdef0123456789abcdef01234567");
    CHECK(download_location(p[3], in) == "NOASSERTION"); // a path crate outside the workspace
    in.source_url.reset();
    CHECK(download_location(p[0], in) == "NOASSERTION");
}

TEST_CASE("the SPDX document describes the binary's package and its dependencies") {
    auto doc = spdx_document(input());
    CHECK(doc["spdxVersion"] == "SPDX-2.3");
    CHECK(doc["dataLicense"] == "CC0-1.0");
    CHECK(doc["creationInfo"]["created"] == "2023-11-14T22:13:20Z"); // the commit's time
    CHECK(doc["creationInfo"]["creators"][0] == "Tool: rcd-9.9.9");
    CHECK(doc["documentDescribes"][0] == "SPDXRef-Package-app-0.1.0");
    CHECK(doc["packages"].size() == 4);
    const auto& serde = package(doc, "serde");
    CHECK(serde["SPDXID"] == "SPDXRef-Package-serde-1.0.0");
    CHECK(serde["licenseDeclared"] == "MIT OR Apache-2.0");
    CHECK(serde["checksums"][0]["algorithm"] == "SHA256");
    CHECK(serde["checksums"][0]["checksumValue"] == "abcd");
    CHECK(serde["externalRefs"][0]["referenceLocator"] == "pkg:cargo/serde@1.0.0");
    CHECK(package(doc, "my_crate")["SPDXID"] == "SPDXRef-Package-my-crate-2.0.0-build");
    CHECK_FALSE(package(doc, "cc").contains("checksums"));
    CHECK(package(doc, "app")["primaryPackagePurpose"] == "APPLICATION");

    std::vector<std::string> relations;
    for (const auto& r : doc["relationships"])
        relations.push_back(r["spdxElementId"].get<std::string>() + " " +
                            r["relationshipType"].get<std::string>() + " " +
                            r["relatedSpdxElement"].get<std::string>());
    CHECK(relations ==
          std::vector<std::string>{
              "SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-app-0.1.0",
              "SPDXRef-Package-cc-1.0.0 BUILD_DEPENDENCY_OF SPDXRef-Package-app-0.1.0",
              "SPDXRef-Package-app-0.1.0 DEPENDS_ON SPDXRef-Package-my-crate-2.0.0-build",
              "SPDXRef-Package-app-0.1.0 DEPENDS_ON SPDXRef-Package-serde-1.0.0"});
}

TEST_CASE("the SBOM is the same bytes for the same input, and its identity follows the input") {
    CHECK(spdx_document(input()).dump() == spdx_document(input()).dump());
    CHECK(cyclonedx_document(input()).dump() == cyclonedx_document(input()).dump());
    auto other = input();
    other.graph.packages[1].version = "1.0.1";
    CHECK(spdx_document(other)["documentNamespace"] != spdx_document(input())["documentNamespace"]);
    CHECK(cyclonedx_document(other)["serialNumber"] != cyclonedx_document(input())["serialNumber"]);
}

TEST_CASE("two packages whose SPDX ids would clash get distinct ones") {
    auto in = input();
    in.graph.packages.push_back(
        {"my-crate-id", "my-crate", "2.0.0+build", std::nullopt, "", "", "", false});
    auto doc = spdx_document(in);
    CHECK(package(doc, "my-crate")["SPDXID"] != package(doc, "my_crate")["SPDXID"]);
}

TEST_CASE("the CycloneDX document has the root as its component and every edge") {
    auto doc = cyclonedx_document(input());
    CHECK(doc["bomFormat"] == "CycloneDX");
    CHECK(doc["specVersion"] == "1.5");
    CHECK(doc["serialNumber"].get<std::string>().starts_with("urn:uuid:"));
    CHECK(doc["serialNumber"].get<std::string>().size() == 9 + 36);
    CHECK(doc["metadata"]["component"]["name"] == "app");
    CHECK(doc["metadata"]["component"]["type"] == "application");
    CHECK(doc["components"].size() == 3);
    for (const auto& d : doc["dependencies"])
        if (d["ref"] == "pkg:cargo/app@0.1.0")
            CHECK(d["dependsOn"] ==
                  nlohmann::json({"pkg:cargo/cc@1.0.0", "pkg:cargo/my_crate@2.0.0%2Bbuild",
                                  "pkg:cargo/serde@1.0.0"}));
}

TEST_CASE("Go modules get golang purls and the module proxy's download location") {
    auto in = input();
    in.graph.ecosystem = "golang";
    in.graph.root = "example.com/api";
    in.graph.packages = {
        {"example.com/api", "example.com/api", "", std::nullopt, "", "", "", true},
        {"github.com/Azure/go-ansiterm", "github.com/Azure/go-ansiterm", "v0.0.0-2021", "go", "",
         "", "", false},
    };
    in.graph.edges = {
        {"example.com/api", "github.com/Azure/go-ansiterm", cargo::DependencyKind::normal}};
    const auto& p = in.graph.packages;
    CHECK(purl(p[1], "golang") == "pkg:golang/github.com/Azure/go-ansiterm@v0.0.0-2021");
    CHECK(download_location(p[1], in) ==
          "https://proxy.golang.org/github.com/!azure/go-ansiterm/@v/v0.0.0-2021.zip");
    CHECK(download_location(p[0], in) ==
          "git+https://github.com/team/api@0123456789abcdef0123456789abcdef01234567");
    auto doc = spdx_document(in);
    CHECK(package(doc, "github.com/Azure/go-ansiterm")["externalRefs"][0]["referenceLocator"] ==
          "pkg:golang/github.com/Azure/go-ansiterm@v0.0.0-2021");
    CHECK(purl(p[1], "generic") == "pkg:generic/github.com%2FAzure%2Fgo-ansiterm@v0.0.0-2021");
}
