#include "rcd/ops/init.hpp"

#include "rcd/lang/language.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/pipeline/catalog.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <fmt/format.h>
#include <fmt/std.h>

namespace rcd::ops {

namespace {

Result<std::string> detect_language(const pipeline::Catalog& catalog,
                                    const std::filesystem::path& dir) {
    std::vector<std::string> looked_for;
    for (const auto& source : catalog.list()) {
        RCD_ASSIGN(auto pipeline, catalog.load(source.language));
        for (const auto& file : pipeline.detect) {
            std::error_code ec;
            if (std::filesystem::exists(dir / file, ec))
                return pipeline.language;
            looked_for.push_back(file);
        }
    }
    return fail(ExitCode::usage, fmt::format("rcd init: no known language in {}", dir.string()),
                fmt::format("rcd looks for {}; write rcd.yaml by hand with 'name' and 'language'",
                            looked_for.empty() ? "nothing" : util::join(looked_for, ", ")));
}

} // namespace

Result<InitResult> init_config(const InitOptions& options) {
    InitResult result;
    result.file = options.dir / "rcd.yaml";
    std::error_code ec;
    if (std::filesystem::exists(result.file, ec))
        return fail(
            ExitCode::usage,
            fmt::format("{} already exists; rcd init never replaces it", result.file.string()),
            "edit it, or remove it and run rcd init again");
    pipeline::Catalog catalog(options.dir, options.pipelines_dir);
    RCD_ASSIGN(result.language, detect_language(catalog, options.dir));
    RCD_ASSIGN(auto name, lang::suggest_name(result.language, options.dir));
    if (name) {
        result.name = *name;
    } else { // the language cannot tell: the directory's name
        result.name = std::filesystem::absolute(options.dir).lexically_normal().filename().string();
        if (result.name.empty())
            result.name = std::filesystem::absolute(options.dir).parent_path().filename().string();
    }
    result.advice = predict_scratch_start(options.dir);
    result.text = fmt::format("name: {}\nlanguage: {}\n", result.name, result.language);
    if (options.registry) {
        std::string registry = *options.registry;
        while (registry.ends_with('/'))
            registry.pop_back();
        RCD_ASSIGN([[maybe_unused]] auto ref,
                   registry::parse_reference(registry + "/" + result.name, false));
        result.text += fmt::format("registry: {}\n", registry);
    }
    RCD_CHECK(util::write_file_atomic(result.file, result.text));
    return result;
}

Result<int> init(const Invocation& invocation, const std::string& registry) {
    InitOptions options;
    options.dir = invocation.dir;
    if (!invocation.pipelines_dir.empty())
        options.pipelines_dir = invocation.pipelines_dir;
    if (!registry.empty())
        options.registry = registry;
    RCD_ASSIGN(auto written, init_config(options));
    auto reporter = make_reporter(invocation);
    if (invocation.json) {
        auto doc = report::json_header("init", written.name, invocation.absolute_dir());
        doc.update({{"ok", true},
                    {"exit_code", 0},
                    {"file", written.file.string()},
                    {"language", written.language},
                    {"warning", written.advice ? nlohmann::json(written.advice->detail)
                                               : nlohmann::json(nullptr)}});
        print_json(doc);
    }
    reporter.note(
        fmt::format("rcd: wrote {}:\n{}", written.file.string(), util::trim(written.text)));
    if (written.advice) {
        reporter.note(fmt::format("warning: image: {}", written.advice->detail));
        reporter.note(fmt::format("  hint: {}", written.advice->hint));
    }
    return 0;
}

} // namespace rcd::ops
