// What rcd knows about a language: one implementation per language (rust, go, generic), behind
// one interface, so that no command branches on the language. A pipeline YAML says what runs;
// this says what rcd reads around it: the `when:` facts, the stages' environment and output,
// where the binary is, the dependency cache and what the binary is built from.
#pragma once

#include "rcd/cache/planner.hpp"
#include "rcd/cargo/dependencies.hpp"
#include "rcd/cargo/workspace.hpp"
#include "rcd/exec/scheduler.hpp"
#include "rcd/image/oci.hpp"
#include "rcd/pipeline/model.hpp"
#include "rcd/util/result.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rcd::lang {

// The facts `when:` conditions are decided on.
struct Conditions {
    bool has_library = false;
    std::string no_library_reason;
    bool has_benches = false;
    std::string no_benches_reason;
};

// How rcd reads a stage's output (exec::StageJob::format): the reporter renders it, --junit
// and annotations read it.
inline constexpr const char* kCargoJson = "cargo-json";    // cargo's --message-format=json
inline constexpr const char* kGoTestJson = "go-test-json"; // go test -json's events
inline constexpr const char* kLibtest = "libtest";         // cargo test's text

// What the build stage makes, and for which platform.
struct Target {
    std::string name; // rustc's target triple, or GOOS/GOARCH ("linux/amd64")
    image::Platform platform;
};

class Language {
  public:
    virtual ~Language() = default;

    virtual std::string name() const = 0;
    // Where the build's outputs and rcd's own state go (cargo's target directory; ./target).
    virtual std::filesystem::path target_dir() const = 0;
    // A Cargo workspace (rust only): the SBOM's graph and the bench stage read it.
    virtual const cargo::Workspace* workspace() const { return nullptr; }

    virtual Conditions conditions() const = 0;
    // A pipeline variable of this language (go: ${main_package}); nothing when unknown.
    virtual std::optional<std::string> variable(const std::string& name) const;
    // What every stage's environment gets (go: GOCACHE and GOMODCACHE).
    virtual std::map<std::string, std::string> stage_env() const { return {}; }
    // The stage's command as it runs (`annotations`: the run wants compiler messages as JSON)
    // and how its output is read (job.format).
    virtual void prepare_job(exec::StageJob& job, bool annotations) const;
    // The format of a stage's test output, for --junit: kLibtest, kGoTestJson, or "".
    virtual std::string test_format(const pipeline::Stage& stage) const;

    // The platform the build stage `build` (as it would run) builds for; with `binary`, the
    // one that binary was built for (cargo's target/<triple>/ directory says so).
    virtual Result<Target> planned_target(const exec::StageJob* build,
                                          const std::filesystem::path* binary = nullptr) const = 0;
    // The binary `build` made (or makes: cargo is asked with a no-op build).
    virtual Result<std::filesystem::path> locate_binary(const exec::StageJob* build,
                                                        const std::string& binary) const = 0;

    // Where an earlier build may have left the binary, without building anything (rcd doctor):
    // cargo's target/release/ and target/<triple>/release/, the go pipeline's target/go/bin/.
    virtual std::vector<std::filesystem::path> built_binaries(const std::string&) const {
        return {};
    }

    // The dependency cache of the profiles the stages name (cook:, cache:); nothing when this
    // repository has nothing to cache.
    virtual Result<std::unique_ptr<cache::Planner>>
    open_cache(const std::vector<cache::ProfileRequest>& requests,
               cache::LocalStore store) const = 0;

    // What the binary is built from, for `target` (Target::name), for the SBOM.
    virtual Result<cargo::DependencyGraph> dependencies(const std::string& target,
                                                        const std::string& binary) const = 0;
    // The toolchain, for provenance ("rustc" -> "rustc 1.70.0 (...)", "go" -> "go1.19.8").
    virtual std::map<std::string, std::string> toolchain() const { return {}; }
    // The lock file the dependencies are pinned by (Cargo.lock, go.sum), if any.
    virtual std::optional<std::filesystem::path> lockfile() const { return std::nullopt; }
};

// The language rcd.yaml names, loaded for the repository in `dir` (rust reads the Cargo
// workspace here). An unknown name is an error naming the known ones.
Result<std::shared_ptr<const Language>> open_language(const std::string& name,
                                                      const std::filesystem::path& dir,
                                                      const pipeline::RepoConfig& config,
                                                      const pipeline::Pipeline& pipeline);

// The languages rcd has hooks for.
std::vector<std::string> known_languages();

// The image name `rcd init` writes for a repository of `language` in `dir`: the Cargo
// workspace's one binary (or its one package), the one command under cmd/ of a Go module (or
// its module path's last element); nothing when the language cannot tell. An error when the
// choice is the user's (several binaries).
Result<std::optional<std::string>> suggest_name(const std::string& language,
                                                const std::filesystem::path& dir);

// The tools a language's pipeline runs, each with the command that shows it works (rcd doctor).
struct ToolCheck {
    std::string name;
    std::vector<std::string> argv;
    std::string hint;
};
std::vector<ToolCheck> toolchain_checks(const std::string& language);

} // namespace rcd::lang
