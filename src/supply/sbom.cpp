#include "rcd/supply/sbom.hpp"

#include "rcd/image/oci.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/strings.hpp"

#include <fmt/format.h>
#include <map>

namespace rcd::supply {

namespace {

constexpr const char* kNoAssertion = "NOASSERTION";

bool is_crates_io(const std::string& source) {
    return source == "registry+https://github.com/rust-lang/crates.io-index" ||
           source == "sparse+https://index.crates.io/";
}

// purl's percent-encoding: everything but letters, digits and ".-_~".
std::string percent_encode(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~')
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

// SPDX identifiers hold letters, digits, '.' and '-' only.
std::string spdx_id_part(std::string_view text) {
    std::string out;
    for (unsigned char c : text)
        out += std::isalnum(c) || c == '.' || c == '-' ? static_cast<char>(c) : '-';
    return out;
}

// Each package's SPDXID: SPDXRef-Package-NAME-VERSION, numbered when two would clash.
std::map<std::string, std::string> spdx_ids(const cargo::DependencyGraph& graph) {
    std::map<std::string, std::string> ids;
    std::map<std::string, int> used;
    for (const auto& package : graph.packages) {
        auto id =
            "SPDXRef-Package-" + spdx_id_part(package.name) + "-" + spdx_id_part(package.version);
        if (int n = used[id]++; n > 0)
            id += "-" + std::to_string(n + 1);
        ids[package.id] = id;
    }
    return ids;
}

// A git source, "git+https://host/x?rev=abc#<commit>", as SPDX's "git+https://host/x@<commit>".
std::string git_location(const std::string& source) {
    auto hash = source.find('#');
    auto query = source.find('?');
    auto url = source.substr(0, std::min(query, hash));
    return hash == std::string::npos ? url : url + "@" + source.substr(hash + 1);
}

// A stable identifier for the document, from what it describes.
std::string document_hash(const SbomInput& input) {
    std::string text = input.name + "\n" + input.commit + "\n";
    for (const auto& package : input.graph.packages)
        text += package.name + " " + package.version + " " + package.checksum + "\n";
    return util::sha256_hex(text);
}

} // namespace

std::string license_expression(std::string_view cargo_license) {
    if (cargo_license.empty())
        return kNoAssertion;
    std::string out;
    for (std::size_t i = 0; i < cargo_license.size(); ++i) {
        if (cargo_license[i] == '/') {
            // Trim the spaces around the slash, then write the operator with its own.
            while (!out.empty() && out.back() == ' ')
                out.pop_back();
            out += " OR ";
            while (i + 1 < cargo_license.size() && cargo_license[i + 1] == ' ')
                ++i;
        } else {
            out += cargo_license[i];
        }
    }
    return out;
}

// A Go module path as the module proxy spells it: each upper-case letter as '!' and its lower case.
std::string proxy_escape(const std::string& path) {
    std::string out;
    for (char c : path) {
        if (c >= 'A' && c <= 'Z') {
            out += '!';
            out += static_cast<char>(c - 'A' + 'a');
        } else {
            out += c;
        }
    }
    return out;
}

std::string purl(const cargo::DependencyPackage& package, const std::string& ecosystem) {
    // A main module or a generic binary has no version of its own: the purl then has none.
    const std::string version = package.version.empty()
                                    ? std::string()
                                    : fmt::format("@{}", percent_encode(package.version));
    if (ecosystem == "golang") {
        // The module path is the purl's namespace and name: its slashes stay.
        std::vector<std::string> parts;
        for (const auto& part : util::split(package.name, '/'))
            parts.push_back(percent_encode(part));
        return fmt::format("pkg:golang/{}{}", util::join(parts, "/"), version);
    }
    // Anything else (language: generic) is what purl calls generic.
    return fmt::format("pkg:{}/{}{}", ecosystem == "cargo" ? "cargo" : "generic",
                       percent_encode(package.name), version);
}

std::string download_location(const cargo::DependencyPackage& package, const SbomInput& input) {
    if (input.graph.ecosystem == "golang" && !package.workspace_member && package.source)
        return fmt::format("https://proxy.golang.org/{}/@v/{}.zip", proxy_escape(package.name),
                           package.version);
    if (package.source && is_crates_io(*package.source))
        return fmt::format("https://crates.io/api/v1/crates/{}/{}/download", package.name,
                           package.version);
    if (package.source && package.source->starts_with("git+"))
        return git_location(*package.source);
    if (package.workspace_member && input.source_url && !input.commit.empty())
        return fmt::format("git+{}@{}", *input.source_url, input.commit);
    return kNoAssertion;
}

nlohmann::json spdx_document(const SbomInput& input) {
    const auto ids = spdx_ids(input.graph);
    nlohmann::json packages = nlohmann::json::array();
    for (const auto& package : input.graph.packages) {
        nlohmann::json p = {
            {"SPDXID", ids.at(package.id)},
            {"name", package.name},
            {"versionInfo", package.version},
            {"downloadLocation", download_location(package, input)},
            {"filesAnalyzed", false},
            {"licenseConcluded", kNoAssertion},
            {"licenseDeclared", license_expression(package.license)},
            {"copyrightText", kNoAssertion},
            {"externalRefs",
             {{{"referenceCategory", "PACKAGE-MANAGER"},
               {"referenceType", "purl"},
               {"referenceLocator", purl(package, input.graph.ecosystem)}}}},
        };
        if (!package.checksum.empty())
            p["checksums"] = {{{"algorithm", "SHA256"}, {"checksumValue", package.checksum}}};
        if (package.id == input.graph.root)
            p["primaryPackagePurpose"] = "APPLICATION";
        else
            p["primaryPackagePurpose"] = "LIBRARY";
        if (!package.repository.empty())
            p["homepage"] = package.repository;
        packages.push_back(std::move(p));
    }
    nlohmann::json relationships = nlohmann::json::array();
    relationships.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"},
                             {"relationshipType", "DESCRIBES"},
                             {"relatedSpdxElement", ids.at(input.graph.root)}});
    for (const auto& edge : input.graph.edges) {
        if (edge.kind == cargo::DependencyKind::normal)
            relationships.push_back({{"spdxElementId", ids.at(edge.from)},
                                     {"relationshipType", "DEPENDS_ON"},
                                     {"relatedSpdxElement", ids.at(edge.to)}});
        else
            relationships.push_back({{"spdxElementId", ids.at(edge.to)},
                                     {"relationshipType", "BUILD_DEPENDENCY_OF"},
                                     {"relatedSpdxElement", ids.at(edge.from)}});
    }
    const std::string version = input.commit.empty() ? "uncommitted" : input.commit;
    return {
        {"spdxVersion", "SPDX-2.3"},
        {"dataLicense", "CC0-1.0"},
        {"SPDXID", "SPDXRef-DOCUMENT"},
        {"name", fmt::format("{}-{}", input.name, version)},
        {"documentNamespace", fmt::format("https://spdx.org/spdxdocs/{}-{}-{}", input.name, version,
                                          document_hash(input).substr(0, 16))},
        {"creationInfo",
         {{"created", image::rfc3339(input.created)},
          {"creators", {"Tool: rcd-" + input.rcd_version}}}},
        {"documentDescribes", {ids.at(input.graph.root)}},
        {"packages", packages},
        {"relationships", relationships},
    };
}

nlohmann::json cyclonedx_document(const SbomInput& input) {
    auto component = [&](const cargo::DependencyPackage& package) {
        nlohmann::json c = {{"type", package.id == input.graph.root ? "application" : "library"},
                            {"bom-ref", purl(package, input.graph.ecosystem)},
                            {"name", package.name},
                            {"version", package.version},
                            {"purl", purl(package, input.graph.ecosystem)}};
        if (!package.license.empty())
            c["licenses"] = {{{"expression", license_expression(package.license)}}};
        if (!package.checksum.empty())
            c["hashes"] = {{{"alg", "SHA-256"}, {"content", package.checksum}}};
        if (auto where = download_location(package, input); where != kNoAssertion)
            c["externalReferences"] = {{{"type", "distribution"}, {"url", where}}};
        return c;
    };
    nlohmann::json components = nlohmann::json::array();
    nlohmann::json root;
    std::map<std::string, const cargo::DependencyPackage*> by_id;
    for (const auto& package : input.graph.packages) {
        by_id[package.id] = &package;
        if (package.id == input.graph.root)
            root = component(package);
        else
            components.push_back(component(package));
    }
    std::map<std::string, std::vector<std::string>> depends;
    for (const auto& package : input.graph.packages)
        depends[purl(package, input.graph.ecosystem)];
    for (const auto& edge : input.graph.edges) {
        auto& list = depends[purl(*by_id.at(edge.from), input.graph.ecosystem)];
        auto to = purl(*by_id.at(edge.to), input.graph.ecosystem);
        if (std::find(list.begin(), list.end(), to) == list.end())
            list.push_back(to);
    }
    nlohmann::json dependencies = nlohmann::json::array();
    for (const auto& [ref, on] : depends)
        dependencies.push_back({{"ref", ref}, {"dependsOn", on}});
    // A UUID made from the content, so that the same release gives the same document.
    auto hex = document_hash(input);
    hex[12] = '5';
    hex[16] = "89ab"[hex[16] % 4];
    auto uuid = fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                            hex.substr(16, 4), hex.substr(20, 12));
    return {
        {"bomFormat", "CycloneDX"},
        {"specVersion", "1.5"},
        {"serialNumber", "urn:uuid:" + uuid},
        {"version", 1},
        {"metadata",
         {{"timestamp", image::rfc3339(input.created)},
          {"tools",
           {{"components",
             {{{"type", "application"}, {"name", "rcd"}, {"version", input.rcd_version}}}}}},
          {"component", root}}},
        {"components", components},
        {"dependencies", dependencies},
    };
}

} // namespace rcd::supply
