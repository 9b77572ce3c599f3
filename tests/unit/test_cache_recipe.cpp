#include "rcd/cache/recipe.hpp"
#include "rcd/util/fs.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

using namespace rcd;
using namespace rcd::cache;

namespace {

cargo::Target target(std::string name, std::string kind, std::string path) {
    return cargo::Target{std::move(name), {std::move(kind)}, std::move(path)};
}

// A workspace: app (lib + bins + example + bench + build.rs) and macros (proc-macro).
RecipeInput workspace() {
    RecipeInput in;
    in.workspace.root = "/w";
    in.workspace.target_directory = "/w/target";
    cargo::Package app{"app",
                       "0.1.0",
                       "/w/app/Cargo.toml",
                       {target("app", "lib", "/w/app/src/lib.rs"),
                        target("app", "bin", "/w/app/src/main.rs"),
                        target("tool", "bin", "/w/app/src/bin/tool.rs"),
                        target("server", "bin", "/w/app/cmd/server.rs"),
                        target("demo", "example", "/w/app/examples/demo.rs"),
                        target("speed", "bench", "/w/app/benches/speed.rs"),
                        target("build-script-build", "custom-build", "/w/app/build.rs")}};
    cargo::Package macros{"macros",
                          "0.2.0",
                          "/w/macros/Cargo.toml",
                          {target("macros", "proc-macro", "/w/macros/src/lib.rs")}};
    in.workspace.members = {app, macros};
    in.manifests["Cargo.toml"] = R"([workspace]
members = ["app", "macros"]
exclude = ["vendor/*"]

[workspace.package]
version = "0.1.0"

[workspace.dependencies]
serde = { version = "1.0", features = ["derive"] }
macros = { path = "macros", version = "0.2.0" }

[workspace.lints.rust]
unsafe_code = "forbid"
)";
    in.manifests["app/Cargo.toml"] = R"([package]
name = "app"
version = "0.1.0"
edition = "2021"

[[bin]]
name = "server"
path = "cmd/server.rs"

[[bench]]
name = "speed"
harness = false

[dependencies]
serde = { workspace = true }
regex = "1.10"
m = { package = "macros", path = "../macros", version = "0.2.0" }

[dev-dependencies]
tempfile = "3"

[build-dependencies]
cc = "1"

[target.'cfg(unix)'.dependencies]
libc = "0.2"

[lints.clippy]
pedantic = "warn"
)";
    in.manifests["macros/Cargo.toml"] = R"([package]
name = "macros"
version = "0.2.0"
edition = "2021"

[lib]
proc-macro = true
)";
    in.lockfile = R"(version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["macros", "regex", "serde"]

[[package]]
name = "macros"
version = "0.2.0"

[[package]]
name = "regex"
version = "1.10.2"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aaaa"

[[package]]
name = "serde"
version = "1.0.190"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bbbb"
)";
    in.config_files[".cargo/config.toml"] =
        "[build]\nrustflags = [\"-C\", \"target-cpu=native\"]\n";
    in.config_files["rust-toolchain.toml"] = "[toolchain]\nchannel = \"1.95\"\n";
    return in;
}

std::string hash_of(const RecipeInput& in) {
    auto recipe = build_recipe(in);
    REQUIRE(recipe);
    return recipe->hash;
}

void replace(std::string& text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
}

std::string skeleton_file(const Recipe& recipe, const std::string& path) {
    for (const auto& f : recipe.skeleton)
        if (f.path == path)
            return f.content;
    FAIL("no skeleton file " << path);
    return "";
}

} // namespace

TEST_CASE("the recipe is deterministic and ignores the order of keys") {
    auto in = workspace();
    CHECK(hash_of(in) == hash_of(in));
    auto reordered = in;
    replace(reordered.manifests["app/Cargo.toml"], "regex = \"1.10\"\n", "");
    replace(reordered.manifests["app/Cargo.toml"], "[dependencies]\n",
            "[dependencies]\nregex = \"1.10\"\n");
    CHECK(hash_of(reordered) == hash_of(in));
}

TEST_CASE("version bumps of members and local dependencies leave the recipe unchanged") {
    auto in = workspace();
    auto bumped = in;
    replace(bumped.manifests["app/Cargo.toml"], "version = \"0.1.0\"", "version = \"0.1.1\"");
    replace(bumped.manifests["macros/Cargo.toml"], "version = \"0.2.0\"", "version = \"0.3.0\"");
    replace(bumped.manifests["app/Cargo.toml"], "path = \"../macros\", version = \"0.2.0\"",
            "path = \"../macros\", version = \"0.3.0\"");
    replace(bumped.manifests["Cargo.toml"], "path = \"macros\", version = \"0.2.0\"",
            "path = \"macros\", version = \"0.3.0\"");
    replace(bumped.manifests["Cargo.toml"], "[workspace.package]\nversion = \"0.1.0\"",
            "[workspace.package]\nversion = \"0.9.0\"");
    replace(*bumped.lockfile, "name = \"app\"\nversion = \"0.1.0\"",
            "name = \"app\"\nversion = \"0.1.1\"");
    replace(*bumped.lockfile, "name = \"macros\"\nversion = \"0.2.0\"",
            "name = \"macros\"\nversion = \"0.3.0\"");
    CHECK(hash_of(bumped) == hash_of(in));
}

TEST_CASE("lints are not part of the recipe") {
    auto in = workspace();
    auto changed = in;
    replace(changed.manifests["app/Cargo.toml"], "pedantic = \"warn\"", "pedantic = \"deny\"");
    replace(changed.manifests["Cargo.toml"], "unsafe_code = \"forbid\"", "unsafe_code = \"deny\"");
    CHECK(hash_of(changed) == hash_of(in));
}

TEST_CASE("an added dependency in any table changes the recipe") {
    auto in = workspace();
    const std::string base = hash_of(in);
    for (const std::string table :
         {"[dependencies]\n", "[dev-dependencies]\n", "[build-dependencies]\n",
          "[target.'cfg(unix)'.dependencies]\n"}) {
        auto added = in;
        replace(added.manifests["app/Cargo.toml"], table, table + "anyhow = \"1\"\n");
        CHECK(hash_of(added) != base);
    }
}

TEST_CASE("a changed feature, lockfile entry or workspace dependency changes the recipe") {
    auto in = workspace();
    const std::string base = hash_of(in);
    auto feature = in;
    replace(feature.manifests["Cargo.toml"], "features = [\"derive\"]",
            "features = [\"derive\", \"rc\"]");
    CHECK(hash_of(feature) != base);
    auto lock = in;
    replace(*lock.lockfile, "version = \"1.10.2\"", "version = \"1.10.3\"");
    CHECK(hash_of(lock) != base);
    auto workspace_dep = in;
    replace(workspace_dep.manifests["Cargo.toml"], "version = \"1.0\"", "version = \"1.1\"");
    CHECK(hash_of(workspace_dep) != base);
}

TEST_CASE("cargo configuration and the toolchain file are part of the recipe") {
    auto in = workspace();
    const std::string base = hash_of(in);
    auto config = in;
    config.config_files[".cargo/config.toml"] += "[profile.release]\nlto = true\n";
    CHECK(hash_of(config) != base);
    auto toolchain = in;
    toolchain.config_files["rust-toolchain.toml"] = "[toolchain]\nchannel = \"1.96\"\n";
    CHECK(hash_of(toolchain) != base);
}

TEST_CASE("a crates.io package named like a local one keeps its version in the lock") {
    auto in = workspace();
    *in.lockfile += R"(
[[package]]
name = "macros"
version = "9.9.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "cccc"
)";
    auto recipe = build_recipe(in);
    REQUIRE(recipe);
    CHECK(recipe->text.find("version = '9.9.9'") != std::string::npos);
    CHECK(recipe->text.find("version = '0.2.0'") == std::string::npos);
}

TEST_CASE("every target is explicit, auto-discovery is off, and sources are dummies") {
    auto recipe = build_recipe(workspace());
    REQUIRE(recipe);
    std::string app = skeleton_file(*recipe, "app/Cargo.toml");
    CHECK(app.find("autobins = false") != std::string::npos);
    CHECK(app.find("build = 'build.rs'") != std::string::npos);
    for (const char* expected :
         {"name = 'tool'", "path = 'src/bin/tool.rs'", "path = 'cmd/server.rs'", "name = 'demo'",
          "path = 'examples/demo.rs'", "harness = false", "path = 'src/lib.rs'"})
        CHECK(app.find(expected) != std::string::npos);
    CHECK(app.find("[lints") == std::string::npos);
    CHECK(app.find("version = '0.0.0'") != std::string::npos);
    std::string macros = skeleton_file(*recipe, "macros/Cargo.toml");
    CHECK(macros.find("proc-macro = true") != std::string::npos);
    CHECK(skeleton_file(*recipe, "app/src/main.rs") == "fn main() {}\n");
    CHECK(skeleton_file(*recipe, "app/build.rs") == "fn main() {}\n");
    CHECK(skeleton_file(*recipe, "app/src/bin/tool.rs") == "fn main() {}\n");
    CHECK(skeleton_file(*recipe, "macros/src/lib.rs") == "// rcd skeleton\n");
    CHECK(skeleton_file(*recipe, "Cargo.lock").find("version = '0.0.0'") != std::string::npos);
}

TEST_CASE("source edits, build.rs contents and unrelated files do not reach the recipe") {
    test::TempDir dir_scratch;
    const std::filesystem::path& dir = dir_scratch.path;
    auto in = workspace();
    for (auto& package : in.workspace.members) {
        package.manifest_path = dir / package.manifest_path.lexically_relative("/w");
        for (auto& t : package.targets)
            t.src_path = dir / t.src_path.lexically_relative("/w");
    }
    in.workspace.root = dir;
    auto write = [&](const std::string& path, const std::string& text) {
        REQUIRE(util::write_file_atomic(dir / path, text));
    };
    for (const auto& [path, text] : in.manifests)
        write(path, text);
    write("Cargo.lock", *in.lockfile);
    write("app/src/main.rs", "fn main() { println!(\"v1\"); }\n");
    write("app/build.rs", "fn main() {}\n");
    write("README.md", "v1\n");
    auto first = read_recipe_input(in.workspace);
    REQUIRE(first);
    const std::string before = hash_of(*first);
    write("app/src/main.rs", "fn main() { println!(\"v2\"); }\n");
    write("app/build.rs", "fn main() { println!(\"cargo:rerun-if-changed=x\"); }\n");
    write("README.md", "v2\n");
    auto second = read_recipe_input(in.workspace);
    REQUIRE(second);
    CHECK(hash_of(*second) == before);
    write(".cargo/config.toml", "[net]\noffline = true\n");
    auto third = read_recipe_input(in.workspace);
    REQUIRE(third);
    CHECK(hash_of(*third) != before);
}

TEST_CASE("a TOML syntax error names the file and position") {
    auto in = workspace();
    in.manifests["macros/Cargo.toml"] = "[package\nname = 1\n";
    auto recipe = build_recipe(in);
    REQUIRE_FALSE(recipe);
    CHECK(recipe.error().message.starts_with("macros/Cargo.toml:1:"));
}
