#include "rcd/report/fleet.hpp"

#include "rcd/report/run_report.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <map>

namespace rcd::report {

namespace {

std::string text_or(const nlohmann::json& doc, const char* key, const std::string& fallback) {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// A YAML double-quoted scalar.
std::string quoted(const std::string& text) {
    return nlohmann::json(text).dump();
}

} // namespace

Result<FleetRow> fleet_row(std::string_view json_line, const std::string& repository) {
    auto doc = nlohmann::json::parse(json_line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("exit_code") ||
        !doc["exit_code"].is_number_integer())
        return fail(ExitCode::usage, fmt::format("{}: not the JSON line of an rcd run", repository),
                    "give the lines 'rcd --json release' printed, one per repository");
    FleetRow row;
    row.repository = repository;
    row.name = text_or(doc, "name", std::filesystem::path(repository).filename().string());
    row.command = text_or(doc, "command", "");
    row.exit_code = doc["exit_code"].get<int>();
    if (doc.contains("duration_ms") && doc["duration_ms"].is_number())
        row.duration_ms = doc["duration_ms"].get<long long>();
    if (doc.contains("error") && doc["error"].is_object())
        row.outcome = text_or(doc["error"], "message", "failed");
    else if (doc.contains("image") && doc["image"].is_object())
        row.outcome = text_or(doc["image"], "reference", "");
    if (row.outcome.empty())
        row.outcome = row.exit_code == 0 ? "passed" : fmt::format("exit {}", row.exit_code);
    if (doc.contains("cache") && doc["cache"].is_object()) {
        if (doc["cache"].contains("profiles") && doc["cache"]["profiles"].is_array())
            for (const auto& p : doc["cache"]["profiles"]) {
                auto status = text_or(p, "status", "");
                auto name = text_or(p, "name", "");
                if (auto key = text_or(p, "key", ""); !key.empty())
                    row.keys.push_back(name + "=" + key);
                if (status == "miss" || status == "partial")
                    row.cooked.push_back(name);
                else if (status == "hit-local" || status == "hit-registry")
                    row.hits.push_back(name);
            }
    }
    return row;
}

int worst_exit_code(const std::vector<FleetRow>& rows) {
    int worst = 0;
    for (const auto& row : rows)
        worst = std::max(worst, row.exit_code);
    return worst;
}

std::string fleet_table(const std::vector<FleetRow>& rows, int saved_cooks) {
    std::size_t width = std::string_view("repository").size();
    for (const auto& row : rows)
        width = std::max(width, row.name.size());
    std::string out =
        fmt::format("{:<{}}  exit  {:>8}  {}\n", "repository", width, "time", "image or error");
    int failed = 0;
    for (const auto& row : rows) {
        failed += row.exit_code != 0;
        out += fmt::format("{:<{}}  {:>4}  {:>8}  {}\n", row.name, width, row.exit_code,
                           util::format_duration_ms(row.duration_ms), row.outcome);
    }
    out += fmt::format("{} repositories: {} passed, {} failed", rows.size(),
                       rows.size() - static_cast<std::size_t>(failed), failed);
    if (saved_cooks > 0)
        out += fmt::format("; {} dependency cook{} saved by shared recipes", saved_cooks,
                           saved_cooks == 1 ? "" : "s");
    return out + "\n";
}

nlohmann::json fleet_summary(const std::string& command, const std::string& directory,
                             const std::vector<FleetRow>& rows, int saved_cooks,
                             long long duration_ms) {
    auto doc = json_header(command, "", directory);
    int failed = 0;
    for (const auto& row : rows)
        failed += row.exit_code != 0;
    const int code = worst_exit_code(rows);
    doc.update({{"ok", code == 0},
                {"exit_code", code},
                {"duration_ms", duration_ms},
                {"fleet",
                 {{"repositories", rows.size()},
                  {"passed", static_cast<int>(rows.size()) - failed},
                  {"failed", failed},
                  {"saved_cooks", saved_cooks}}}});
    return doc;
}

std::string fleet_live(const std::vector<FleetProgress>& rows) {
    std::size_t width = std::string_view("repository").size();
    for (const auto& row : rows)
        width = std::max(width, row.name.size());
    std::string out = fmt::format("{:<{}}  {:<16}  {:<10}  {:>8}\n", "repository", width, "state",
                                  "stage", "elapsed");
    for (const auto& row : rows)
        out += fmt::format("{:<{}}  {:<16}  {:<10}  {:>8}\n", row.name, width, row.state, row.stage,
                           row.state == "waiting" ? "" : util::format_duration_ms(row.elapsed_ms));
    return out;
}

namespace {

// The value most repositories have (the first of equals, in fleet order).
std::string norm(const std::vector<RepoFacts>& repos, std::string RepoFacts::*field) {
    std::map<std::string, int> counts;
    std::string best;
    int most = 0;
    for (const auto& r : repos)
        if (r.problem.empty() && ++counts[r.*field] > most) {
            most = counts[r.*field];
            best = r.*field;
        }
    return best;
}

} // namespace

std::vector<std::vector<std::string>> fleet_drift(const std::vector<RepoFacts>& repos) {
    const auto toolchain = norm(repos, &RepoFacts::toolchain);
    const auto base = norm(repos, &RepoFacts::base);
    // Only repositories whose rcd.yaml could be read set the norm.
    std::map<std::string, int> setters;
    std::size_t readable = 0;
    for (const auto& r : repos) {
        readable += r.problem.empty();
        for (const auto& key : r.keys)
            ++setters[key];
    }
    std::vector<std::vector<std::string>> out(repos.size());
    for (std::size_t i = 0; i < repos.size(); ++i) {
        const auto& r = repos[i];
        auto& found = out[i];
        if (!r.problem.empty()) {
            found.push_back(r.problem);
            continue;
        }
        if (!r.pipeline_files.empty())
            found.push_back("its own pipeline: " + util::join(r.pipeline_files, ", "));
        if (!r.extra_stages.empty())
            found.push_back("adds stages: " + util::join(r.extra_stages, ", "));
        if (!r.skipped_stages.empty())
            found.push_back("skips stages: " + util::join(r.skipped_stages, ", "));
        if (r.toolchain != toolchain)
            found.push_back(fmt::format("toolchain {} (the fleet's: {})", r.toolchain, toolchain));
        if (r.base != base)
            found.push_back(fmt::format("base image {} (the fleet's: {})", r.base, base));
        if (!r.registry)
            found.push_back("no registry (rcd.yaml's 'registry', or RCD_REGISTRY)");
        std::vector<std::string> alone;
        for (const auto& key : r.keys)
            if (setters[key] == 1 && readable > 1 && !key.starts_with("stages.") &&
                key != "image.base")
                alone.push_back(key);
        if (!alone.empty())
            found.push_back("sets what no other repository does: " + util::join(alone, ", "));
    }
    return out;
}

std::string github_matrix(const std::vector<FleetMember>& members) {
    nlohmann::json include = nlohmann::json::array();
    for (const auto& m : members)
        include.push_back({{"name", m.name}, {"path", m.path}, {"url", m.url}});
    return nlohmann::json{{"include", include}}.dump();
}

std::string gitlab_matrix(const std::vector<FleetMember>& members, const std::string& command) {
    std::string out = "# The fleet as one job per repository: rcd fleet matrix --format gitlab\n";
    out += fmt::format("stages: [{}, summary]\n", command);
    out += fmt::format("rcd-{}:\n  stage: {}\n", command, command);
    out += "  parallel:\n    matrix:\n";
    for (const auto& m : members)
        out += fmt::format("      - RCD_NAME: {}\n        RCD_PATH: {}\n        RCD_URL: {}\n",
                           quoted(m.name), quoted(m.path), quoted(m.url));
    out += "  script:\n";
    out += "    - if [ -n \"$RCD_URL\" ]; then git clone -q \"$RCD_URL\" \"$RCD_NAME\" && "
           "RCD_PATH=\"$RCD_NAME\"; fi\n";
    out += fmt::format("    - rcd -C \"$RCD_PATH\" --json {} > \"$RCD_NAME.json\"\n", command);
    out += "  artifacts:\n    when: always\n    paths: [\"$RCD_NAME.json\"]\n";
    // Every job's line, joined into one table; its exit code is the worst of them.
    out += "rcd-summary:\n  stage: summary\n  when: always\n  script:\n";
    out += "    - rcd fleet summary *.json\n";
    return out;
}

} // namespace rcd::report
