#include "rcd/ops/startable.hpp"

#include "rcd/cache/local_store.hpp"
#include "rcd/cargo/config.hpp"
#include "rcd/cargo/toolchain.hpp"
#include "rcd/exec/process.hpp"
#include "rcd/ops/publish.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"

#include <fmt/format.h>
#include <fmt/std.h>
#include <nlohmann/json.hpp>
#include <set>
#include <unistd.h>

namespace rcd::ops {

namespace {

const char* kWaysOut =
    "use a base image that has the C library (image: {base: gcr.io/distroless/cc-debian12} in "
    "rcd.yaml), or link statically: RUSTFLAGS='-C target-feature=+crt-static' (or rustflags in "
    ".cargo/config.toml), or a musl target";

using Type = util::TarListing::Type;

const char* type_name(Type type) {
    switch (type) {
    case Type::file:
        return "f";
    case Type::directory:
        return "d";
    case Type::symlink:
        return "l";
    case Type::hardlink:
        return "h";
    case Type::other:
        return "o";
    }
    return "o";
}

Type type_of(const std::string& name) {
    for (auto type : {Type::file, Type::directory, Type::symlink, Type::hardlink})
        if (name == type_name(type))
            return type;
    return Type::other;
}

// A layer's names, from the cache or from its bytes.
Result<std::vector<util::TarListing>> layer_names(const PulledBase& base,
                                                  const image::Descriptor& layer,
                                                  const std::filesystem::path& cache_root) {
    const std::string& digest = layer.digest;
    // A digest from a registry names a file only when it is exactly one.
    std::string hex = digest.starts_with("sha256:") ? digest.substr(7) : "";
    if (!util::is_sha256_hex(hex))
        return fail(ExitCode::registry,
                    fmt::format("base image {}: a layer has a malformed digest '{}'",
                                base.base.reference, digest.substr(0, 80)),
                    "check the base image reference");
    const auto cached = cache_root / "layers" / (hex + ".json");
    if (auto text = util::read_file(cached)) {
        auto doc = nlohmann::json::parse(*text, nullptr, false);
        if (doc.is_array()) {
            std::vector<util::TarListing> names;
            for (const auto& item : doc)
                if (item.is_array() && item.size() == 3 && item[0].is_string() &&
                    item[1].is_string() && item[2].is_string())
                    names.push_back(
                        {item[0].get<std::string>(), type_of(item[1]), item[2].get<std::string>()});
            return names;
        }
    }
    log::debug("reading the file list of base layer {} ({}), once", image::short_digest(digest),
               util::format_bytes(layer.size));
    RCD_CHECK(util::create_directories(cached.parent_path()));
    const auto download = cached.parent_path() / fmt::format("{}.{}.layer", hex, ::getpid());
    RCD_CHECK(base.client->download_blob(base.ref.repository, digest, layer.size, download));
    auto names = util::list_tar(download);
    std::error_code ec;
    std::filesystem::remove(download, ec);
    if (!names)
        return std::unexpected(names.error().with_context(
            fmt::format("base image {}: layer {}", base.base.reference, digest)));
    nlohmann::json doc = nlohmann::json::array();
    for (const auto& name : *names)
        doc.push_back({name.path, type_name(name.type), name.link_target});
    RCD_CHECK(util::write_file_atomic(cached, doc.dump()));
    return names;
}

// The names the image's own layers add, with their parent directories.
std::vector<util::TarListing> own_names(const image::ImageSpec& spec) {
    std::vector<util::TarListing> names;
    std::set<std::string> directories;
    for (const auto* files : {&spec.app, &spec.files})
        for (const auto& file : *files) {
            names.push_back({file.path, Type::file, ""});
            for (auto slash = file.path.find('/', 1); slash != std::string::npos;
                 slash = file.path.find('/', slash + 1))
                directories.insert(file.path.substr(0, slash));
        }
    for (const auto& dir : directories)
        names.push_back({dir, Type::directory, ""});
    return names;
}

std::string host_of(const std::filesystem::path& dir) {
    auto toolchain = cargo::probe_toolchain(dir);
    return toolchain ? toolchain->host : "";
}

StartCheck predicted(const std::filesystem::path& dir) {
    auto is_static = cargo::links_statically(dir, host_of(dir), exec::child_environment({}));
    if (is_static.value_or(false))
        return {true, "scratch: the binary will be linked statically", ""};
    return {false,
            is_static ? "the binary will link the C library at run time, and a scratch image has "
                        "none: it could not start"
                      : "cannot tell whether the binary will be static (a cfg(...) rustflags "
                        "table); a dynamic one could not start on scratch",
            kWaysOut};
}

} // namespace

Status check_image_starts(const image::ExecutableInfo& binary, const image::ImageSpec& spec,
                          const PulledBase* base, const std::string& base_name) {
    image::FileTree tree;
    std::vector<std::string> env;
    if (base) {
        for (const auto& layer : base->base.layers) {
            RCD_ASSIGN(auto names, layer_names(*base, layer, cache::LocalStore::default_root()));
            tree.apply(names);
        }
        env = base->base.env;
    }
    tree.apply(own_names(spec));
    for (const auto& [key, value] : spec.env)
        env.push_back(key + "=" + value);
    const std::string& path = spec.app.front().path;
    auto missing = image::missing_at_start(binary, path, tree, env);
    if (missing.empty())
        return {};
    std::vector<std::string> libraries;
    std::string interpreter;
    for (const auto& file : missing)
        (file.role == "its interpreter" ? interpreter : libraries.emplace_back()) = file.name;
    std::string what;
    if (!interpreter.empty())
        what = "its interpreter " + interpreter;
    if (!libraries.empty())
        what += fmt::format("{}the librar{} {}", what.empty() ? "" : " and ",
                            libraries.size() == 1 ? "y" : "ies", util::join(libraries, ", "));
    return fail(ExitCode::usage,
                fmt::format("the image cannot start {}: {} {} not in the image (base {})", path,
                            what, missing.size() == 1 ? "is" : "are", base_name),
                kWaysOut);
}

std::optional<std::filesystem::path> last_built_binary(const Project& project) {
    std::error_code ec;
    if (const auto& file = project.config.image.binary) { // language: generic
        auto path = project.dir / *file;
        return std::filesystem::is_regular_file(path, ec) ? std::optional(path) : std::nullopt;
    }
    const auto candidates = project.language->built_binaries(project.config.binary_name());
    std::optional<std::filesystem::path> newest;
    for (const auto& file : candidates)
        if (std::filesystem::is_regular_file(file, ec) &&
            (!newest || std::filesystem::last_write_time(file, ec) >
                            std::filesystem::last_write_time(*newest, ec)))
            newest = file;
    return newest;
}

StartCheck check_image_start(const Project& project, const PublishOptions& options) {
    const std::string& base = project.config.image.base;
    auto binary = last_built_binary(project);
    if (!binary) {
        if (base != "scratch" || !project.workspace)
            return {true, fmt::format("{} (checked at release: nothing built yet)", base), ""};
        return predicted(project.dir);
    }
    auto checked = [&]() -> Result<image::ExecutableInfo> {
        RCD_ASSIGN(auto bytes, util::read_file(*binary));
        RCD_ASSIGN(auto executable, image::read_executable(bytes));
        image::ImageSpec spec;
        spec.app.push_back({binary_in_image(project.config), "", 0755});
        spec.env = project.config.image.env;
        std::optional<PulledBase> pulled;
        if (base != "scratch") {
            RCD_ASSIGN(auto target, planned_target(project, &*binary));
            RCD_ASSIGN(pulled, pull_base(base, target.platform, options));
        }
        RCD_CHECK(check_image_starts(executable, spec, pulled ? &*pulled : nullptr, base));
        return executable;
    }();
    if (!checked)
        return {false,
                fmt::format("the last build ({}): {}", binary->filename().string(),
                            checked.error().message),
                checked.error().hint};
    return {true,
            fmt::format("the last build starts on {} ({})", base,
                        checked->self_contained() ? "static" : "its libraries are there"),
            ""};
}

std::optional<StartCheck> predict_scratch_start(const std::filesystem::path& dir) {
    std::error_code ec;
    if (!std::filesystem::exists(dir / "Cargo.toml", ec)) // cargo's configuration says; Go's
        return std::nullopt;                              // pipeline builds with CGO_ENABLED=0
    auto check = predicted(dir);
    if (check.ok)
        return std::nullopt;
    return check;
}

} // namespace rcd::ops
