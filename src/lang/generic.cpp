// language: generic (and any language rcd has no hooks for): only the stages rcd.yaml declares,
// the file image.binary names, and the caches stages declare with `cache: {paths, key}`.
#include "languages.hpp"

#include "rcd/image/elf.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/strings.hpp"

#include <fmt/format.h>
#include <fmt/std.h>
#include <sys/utsname.h>

namespace rcd::lang {

namespace {

class Generic final : public Language {
  public:
    Generic(std::string name, std::filesystem::path dir, pipeline::RepoConfig config,
            pipeline::Pipeline pipeline)
        : name_(std::move(name)), dir_(std::move(dir)), target_(detail::default_target_dir(dir_)),
          config_(std::move(config)), pipeline_(std::move(pipeline)) {}

    std::string name() const override { return name_; }
    std::filesystem::path target_dir() const override { return target_; }

    Conditions conditions() const override {
        const std::string why = fmt::format("language: {} has no such fact", name_);
        return {false, why, false, why};
    }

    Result<Target> planned_target(const exec::StageJob*,
                                  const std::filesystem::path* binary) const override {
        std::string triple;
        if (binary) {
            RCD_ASSIGN(auto bytes, util::read_file(*binary));
            auto info = image::read_executable(bytes);
            if (info && !info->multiarch.empty())
                triple = info->multiarch;
        }
        if (triple.empty()) { // a script, or no file yet: the machine rcd runs on
            struct utsname names {};
            ::uname(&names);
            triple = std::string(names.machine) + "-linux";
        }
        RCD_ASSIGN(auto platform, image::platform_from_triple(triple));
        return Target{triple, platform};
    }

    Result<std::filesystem::path> locate_binary(const exec::StageJob*,
                                                const std::string&) const override {
        return fail(ExitCode::usage,
                    fmt::format("{}: language '{}' needs image.binary, the file to ship",
                                config_.file, name_),
                    "add 'image: {binary: build/my-service}' (relative to the repository)");
    }

    Result<std::unique_ptr<cache::Planner>>
    open_cache(const std::vector<cache::ProfileRequest>& requests,
               cache::LocalStore store) const override {
        cache::PlannerSetup setup{target_, {}, "", "generic", std::move(store), {}};
        for (const auto& request : requests) {
            const pipeline::Stage* stage = pipeline_.find(request.profile);
            if (!stage || !stage->cache || !request.selected)
                continue; // a `cook:` profile (cargo's, not this language's), or not running
            if (cache::ProfileCache* profile = cache::add_first(setup.profiles, request)) {
                profile->paths = stage->cache->paths;
                profile->root = dir_;
                profile->key = key_of(*stage);
            }
        }
        if (setup.profiles.empty())
            return std::unique_ptr<cache::Planner>{};
        setup.local.remove_leftovers();
        util::remove_stale(dir_, ".rcd-unpack-");
        return std::make_unique<cache::Planner>(std::move(setup));
    }

    Result<cargo::DependencyGraph> dependencies(const std::string&,
                                                const std::string& binary) const override {
        cargo::DependencyGraph graph;
        graph.ecosystem = "generic";
        graph.root = binary;
        cargo::DependencyPackage root;
        root.id = root.name = binary;
        root.workspace_member = true;
        graph.packages.push_back(root);
        return graph;
    }

  private:
    // The stage's command and environment as rcd.yaml writes them (before ${dir} and the like
    // are expanded: a clone elsewhere has the same key), and each key file's contents (a
    // missing file counts as missing).
    std::string key_of(const pipeline::Stage& stage) const {
        std::string text = fmt::format("rcd stage cache v1\nlanguage {}\nprofile {}\nrun {}\n",
                                       name_, stage.name, util::shell_join(stage.argv()));
        for (const auto& [k, v] : stage.env)
            text += fmt::format("env {}={}\n", k, v);
        for (const auto& path : stage.cache->paths)
            text += "path " + path + "\n";
        for (const auto& file : stage.cache->key) {
            auto content = util::read_file(dir_ / file);
            text += fmt::format("key {} {}\n", file,
                                content ? util::sha256_hex(*content) : std::string("missing"));
        }
        return util::sha256_hex(text);
    }

    std::string name_;
    std::filesystem::path dir_;
    std::filesystem::path target_;
    pipeline::RepoConfig config_;
    pipeline::Pipeline pipeline_;
};

} // namespace

namespace detail {

Result<std::shared_ptr<const Language>> open_generic(const std::string& name,
                                                     const std::filesystem::path& dir,
                                                     const pipeline::RepoConfig& config,
                                                     const pipeline::Pipeline& pipeline) {
    return std::make_shared<const Generic>(name, dir, config, pipeline);
}

} // namespace detail

} // namespace rcd::lang
