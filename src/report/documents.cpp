#include "rcd/report/documents.hpp"

#include "rcd/util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace rcd::report {

nlohmann::json plan_json(const Plan& plan) {
    auto doc = to_json(plan.run);
    doc["plan"]["image"] =
        nlohmann::json{{"repository", plan.repository ? nlohmann::json(*plan.repository)
                                                      : nlohmann::json(nullptr)},
                       {"tags", plan.tags},
                       {"base", plan.base},
                       {"attachments", plan.attachments}};
    doc["plan"]["stages"] = nlohmann::json::array();
    for (const auto& stage : plan.stages)
        doc["plan"]["stages"].push_back(
            {{"name", stage.name},
             {"run", stage.run},
             {"needs", stage.needs},
             {"status", stage.skip_reason ? "skip" : "run"},
             {"reason", stage.skip_reason ? nlohmann::json(*stage.skip_reason) : nullptr}});
    return doc;
}

std::string plan_text(const Plan& plan) {
    std::string out = fmt::format("{} ({} pipeline, {}) in {}\n", plan.run.name, plan.language,
                                  plan.origin, plan.run.directory);
    if (plan.run.repo && plan.run.repo->commit)
        out += fmt::format("commit {}{}\n", *plan.run.repo->commit,
                           plan.run.repo->dirty ? " (dirty)" : "");
    std::size_t width = 0;
    for (const auto& stage : plan.stages)
        width = std::max(width, stage.name.size());
    std::size_t n = 0;
    for (const auto& stage : plan.stages) {
        std::string what =
            stage.skip_reason ? "skip: " + *stage.skip_reason : util::shell_join(stage.run);
        std::string needs =
            stage.needs.empty() ? "" : fmt::format("   (after {})", util::join(stage.needs, ", "));
        out += fmt::format("  {}. {:<{}}  {}{}\n", ++n, stage.name, width, what, needs);
    }
    if (plan.run.cache)
        out += cache_text(*plan.run.cache);
    if (plan.repository)
        out +=
            fmt::format("image {} (base {})\n  tags: {}\n  attached: {}\n", *plan.repository,
                        plan.base, plan.tags.empty() ? "(no commit)" : util::join(plan.tags, ", "),
                        plan.attachments.empty() ? "nothing" : util::join(plan.attachments, ", "));
    else
        out += fmt::format("image: {}\n", plan.repository.error().message);
    return out;
}

std::string cache_text(const CacheSummary& cache) {
    std::string out = fmt::format("cache (recipe {})\n", cache.recipe.substr(0, 16));
    for (const auto& p : cache.profiles)
        out += fmt::format("  {:<8} {:<16}  {:<12} {}\n", p.name,
                           p.key.empty() ? "-" : p.key.substr(0, 16), p.status, p.detail);
    return out;
}

const char* verdict_name(Verdict verdict) {
    switch (verdict) {
    case Verdict::ok:
        return "ok";
    case Verdict::warn:
        return "warn";
    case Verdict::fail:
        break;
    }
    return "fail";
}

int doctor_exit_code(const std::vector<Check>& checks) {
    for (const auto& check : checks)
        if (check.verdict == Verdict::fail)
            return static_cast<int>(check.code);
    return 0;
}

nlohmann::json doctor_json(const std::vector<Check>& checks, const std::string& directory) {
    const int exit_code = doctor_exit_code(checks);
    auto doc = json_header("doctor", "", directory);
    doc.update(
        {{"ok", exit_code == 0}, {"exit_code", exit_code}, {"checks", nlohmann::json::array()}});
    for (const auto& c : checks)
        doc["checks"].push_back(
            {{"name", c.name},
             {"verdict", verdict_name(c.verdict)},
             {"detail", c.detail},
             {"hint", c.hint.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.hint)}});
    return doc;
}

std::string doctor_text(const std::vector<Check>& checks, bool color) {
    std::string out;
    for (const auto& c : checks) {
        std::string verdict = fmt::format("{:<4}", verdict_name(c.verdict));
        if (color)
            verdict = fmt::format("\x1b[{}m{}\x1b[0m",
                                  c.verdict == Verdict::ok     ? "32"
                                  : c.verdict == Verdict::warn ? "33"
                                                               : "31",
                                  verdict);
        out += fmt::format("{}  {:<11} {}\n", verdict, c.name, c.detail);
        if (c.verdict != Verdict::ok && !c.hint.empty())
            out += fmt::format("      {:<11} {}\n", "", c.hint);
    }
    return out;
}

nlohmann::json remote_prune_json(const RemotePruneSummary& pruned, const std::string& name,
                                 const std::string& directory) {
    auto doc = json_header("cache prune", name, directory);
    doc.update({{"ok", true},
                {"exit_code", 0},
                {"repository", pruned.repository},
                {"kept", pruned.kept},
                {"deleted", pruned.deleted},
                {"protected", pruned.protected_}});
    return doc;
}

nlohmann::json local_prune_json(const std::string& cache_dir, std::int64_t freed,
                                const std::string& directory) {
    auto doc = json_header("cache prune", "", directory);
    doc.update({{"ok", true}, {"exit_code", 0}, {"cache_dir", cache_dir}, {"freed_bytes", freed}});
    return doc;
}

} // namespace rcd::report
