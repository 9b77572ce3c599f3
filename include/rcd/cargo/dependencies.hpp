// The packages a binary is built from, as `cargo metadata` (with its resolve graph) and
// Cargo.lock describe them: what an SBOM lists.
#pragma once

#include "rcd/util/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::cargo {

struct DependencyPackage {
    std::string id; // cargo's package id (a path package's names its directory)
    std::string name;
    std::string version;
    // "registry+https://github.com/rust-lang/crates.io-index", "git+https://...?rev=..#sha",
    // "sparse+https://..."; none for a path package.
    std::optional<std::string> source;
    std::string license;    // the manifest's `license` as written; "" when it gives none
    std::string checksum;   // Cargo.lock's sha256 of the .crate file; "" for path and git
    std::string repository; // the manifest's `repository`, if any
    bool workspace_member = false;
};

enum class DependencyKind { normal, build };

struct DependencyEdge {
    std::string from; // package ids
    std::string to;
    DependencyKind kind;
    auto operator<=>(const DependencyEdge&) const = default;
};

// The binary's package and every package it reaches through normal and build dependencies
// (never dev-dependencies), for the platform the metadata was filtered to.
struct DependencyGraph {
    std::vector<DependencyPackage> packages; // the binary's package first, then by name, version
    std::vector<DependencyEdge> edges;       // sorted
    std::string root;                        // the binary's package id
    // The packages' ecosystem, as purl names it: "cargo" (crates), "golang" (Go modules, whose
    // name is the module path).
    std::string ecosystem = "cargo";
};

// From the JSON of `cargo metadata --format-version 1 --filter-platform TRIPLE` (with
// dependencies) and the text of Cargo.lock: the graph of the workspace member that has a bin
// target named `binary`. An error names a binary no member builds.
Result<DependencyGraph> binary_dependencies(std::string_view metadata, std::string_view lockfile,
                                            const std::string& binary);

struct Workspace;

// Runs cargo metadata in the workspace (--locked: Cargo.lock is read, never written) for
// `triple`, reads its Cargo.lock, and returns binary_dependencies of them.
Result<DependencyGraph> read_binary_dependencies(const Workspace& workspace,
                                                 const std::string& triple,
                                                 const std::string& binary);

} // namespace rcd::cargo
