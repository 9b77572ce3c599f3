#include "rcd/cargo/workspace.hpp"

#include <catch2/catch.hpp>

using namespace rcd;

namespace {
// Trimmed from `cargo metadata --no-deps --format-version 1` of a two-member workspace.
const char* kMetadata = R"({
  "packages": [
    {"name": "app", "version": "0.1.0", "id": "path+file:///w/app#0.1.0",
     "manifest_path": "/w/app/Cargo.toml",
     "targets": [{"kind": ["bin"], "crate_types": ["bin"], "name": "app", "src_path": "/w/app/src/main.rs"}]},
    {"name": "macros", "version": "0.2.0", "id": "path+file:///w/macros#0.2.0",
     "manifest_path": "/w/macros/Cargo.toml",
     "targets": [{"kind": ["proc-macro"], "crate_types": ["proc-macro"], "name": "macros", "src_path": "/w/macros/src/lib.rs"}]}
  ],
  "workspace_members": ["path+file:///w/app#0.1.0", "path+file:///w/macros#0.2.0"],
  "target_directory": "/w/target",
  "workspace_root": "/w",
  "version": 1
})";
} // namespace

TEST_CASE("cargo metadata gives members, targets and the target directory") {
    auto ws = cargo::parse_metadata(kMetadata);
    REQUIRE(ws);
    CHECK(ws->root == "/w");
    CHECK(ws->target_directory == "/w/target");
    REQUIRE(ws->members.size() == 2);
    CHECK(ws->members[0].name == "app");
    CHECK(ws->members[1].targets[0].kind == std::vector<std::string>{"proc-macro"});
}

TEST_CASE("a proc-macro library counts as a library for doctests") {
    auto ws = cargo::parse_metadata(kMetadata);
    REQUIRE(ws);
    CHECK(ws->has_library());
    ws->members.pop_back();
    CHECK_FALSE(ws->has_library());
}

TEST_CASE("unreadable metadata is an error, not a crash") {
    CHECK_FALSE(cargo::parse_metadata("not json"));
    CHECK_FALSE(cargo::parse_metadata("{\"packages\": []}"));
}
