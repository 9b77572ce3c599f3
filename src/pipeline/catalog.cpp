#include "rcd/pipeline/catalog.hpp"

#include "rcd/pipeline/loader.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>

namespace rcd::pipeline {

Catalog::Catalog(std::filesystem::path repo_dir, std::optional<std::filesystem::path> pipelines_dir)
    : repo_dir_(std::move(repo_dir)), pipelines_dir_(std::move(pipelines_dir)) {}

std::vector<std::filesystem::path> Catalog::search_dirs() const {
    std::vector<std::filesystem::path> dirs;
    if (pipelines_dir_)
        dirs.push_back(*pipelines_dir_);
    dirs.push_back(repo_dir_ / ".rcd" / "pipelines");
    return dirs;
}

std::vector<PipelineSource> Catalog::list() const {
    std::vector<PipelineSource> out;
    std::set<std::string> seen;
    for (const auto& dir : search_dirs()) {
        std::error_code ec;
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
            if (entry.path().extension() == ".yaml")
                files.push_back(entry.path());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            std::string language = file.stem().string();
            if (seen.insert(language).second)
                out.push_back({language, file.string(), util::read_file(file).value_or("")});
        }
    }
    for (const auto& [language, text] : builtin_pipelines())
        if (seen.insert(language).second)
            out.push_back({language, "built-in", text});
    return out;
}

Result<PipelineSource> Catalog::find(const std::string& language) const {
    for (const auto& dir : search_dirs()) {
        auto file = dir / (language + ".yaml");
        std::error_code ec;
        if (std::filesystem::exists(file, ec)) {
            RCD_ASSIGN(auto text, util::read_config_file(file));
            return PipelineSource{language, file.string(), std::move(text)};
        }
    }
    for (const auto& [name, text] : builtin_pipelines())
        if (name == language)
            return PipelineSource{language, "built-in", text};
    std::vector<std::string> known;
    for (const auto& source : list())
        known.push_back(source.language);
    std::string hint = fmt::format("the languages rcd knows are: {}", util::join(known, ", "));
    if (auto suggestion = util::closest_match(language, known))
        hint = fmt::format("did you mean '{}'? ({})", *suggestion, hint);
    return fail(ExitCode::usage, fmt::format("unknown language '{}'", language), hint);
}

std::string yaml_library_version() {
    return RCD_YAML_CPP_VERSION;
}

Result<Pipeline> Catalog::load(const std::string& language) const {
    RCD_ASSIGN(auto source, find(language));
    std::string file = source.origin == "built-in"
                           ? fmt::format("<built-in pipelines/{}.yaml>", language)
                           : source.origin;
    RCD_ASSIGN(auto pipeline, parse_pipeline(source.text, file));
    if (pipeline.language != language)
        return fail(ExitCode::usage,
                    fmt::format("{}: says 'language: {}' but is the pipeline for '{}'", file,
                                pipeline.language, language),
                    "make the file's name and its 'language' agree");
    pipeline.origin = source.origin;
    return pipeline;
}

} // namespace rcd::pipeline
