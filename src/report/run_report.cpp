#include "rcd/report/run_report.hpp"

#include "rcd/util/strings.hpp"

#include <fmt/format.h>

namespace rcd::report {

namespace {
template <typename T> nlohmann::json optional_value(const std::optional<T>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
} // namespace

const char* rcd_version() {
    return RCD_VERSION;
}

nlohmann::json json_header(const std::string& command, const std::string& name,
                           const std::string& directory) {
    nlohmann::json doc;
    doc["schema"] = kSchemaVersion;
    doc["rcd_version"] = rcd_version();
    doc["command"] = command;
    doc["name"] = name.empty() ? nlohmann::json(nullptr) : nlohmann::json(name);
    doc["directory"] = directory.empty() ? nlohmann::json(nullptr) : nlohmann::json(directory);
    return doc;
}

nlohmann::json to_json(const RunReport& report) {
    nlohmann::json doc = json_header(report.command, report.name, report.directory);
    doc["ok"] = report.ok();
    doc["exit_code"] = report.exit_code;
    doc["duration_ms"] = report.duration_ms;
    doc["checks_passed"] = report.checks_passed;
    if (report.repo)
        doc["repo"] = {{"path", report.repo->path},
                       {"commit", optional_value(report.repo->commit)},
                       {"branch", optional_value(report.repo->branch)},
                       {"dirty", report.repo->dirty}};
    else
        doc["repo"] = nullptr;
    doc["stages"] = nlohmann::json::array();
    for (const auto& stage : report.stages)
        doc["stages"].push_back(
            {{"name", stage.name},
             {"status", exec::status_name(stage.status)},
             {"exit_code", optional_value(stage.exit_code)},
             {"duration_ms", stage.duration_ms},
             {"log", stage.log.empty() ? nlohmann::json(nullptr) : nlohmann::json(stage.log)},
             {"reason",
              stage.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(stage.reason)}});
    doc["cache"] = nullptr;
    if (report.cache) {
        auto& cache = doc["cache"];
        cache = {{"recipe", report.cache->recipe},         {"status", report.cache->status},
                 {"restore_ms", report.cache->restore_ms}, {"save_ms", report.cache->save_ms},
                 {"pushed", report.cache->pushed},         {"profiles", nlohmann::json::array()}};
        for (const auto& p : report.cache->profiles)
            cache["profiles"].push_back(
                {{"name", p.name},
                 {"key", p.key.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.key)},
                 {"status", p.status},
                 {"bytes", p.bytes},
                 {"detail",
                  p.detail.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.detail)}});
    }
    if (report.image) {
        doc["image"] = {{"repository", report.image->repository},
                        {"status", report.image->status},
                        {"digest", report.image->digest},
                        {"build_digest", report.image->build_digest.empty()
                                             ? nlohmann::json(nullptr)
                                             : nlohmann::json(report.image->build_digest)},
                        {"tags", report.image->tags},
                        {"reference", report.image->reference},
                        {"blobs_pushed", report.image->blobs_pushed},
                        {"blobs_skipped", report.image->blobs_skipped},
                        {"bytes_uploaded", report.image->bytes_uploaded},
                        {"pushed", report.image->pushed()},
                        {"outputs", report.image->outputs},
                        {"locate_ms", report.image->locate_ms},
                        {"assemble_ms", report.image->assemble_ms},
                        {"push_ms", report.image->push_ms},
                        {"attachments", nlohmann::json::array()},
                        {"referrers_tag", report.image->referrers_tag.empty()
                                              ? nlohmann::json(nullptr)
                                              : nlohmann::json(report.image->referrers_tag)}};
        for (const auto& attached : report.image->attachments)
            doc["image"]["attachments"].push_back(
                {{"artifact_type", attached.artifact_type},
                 {"digest", attached.digest},
                 {"reference", report.image->repository + "@" + attached.digest}});
    } else {
        doc["image"] = nullptr;
    }
    doc["bench"] = report.bench ? bench::to_json(*report.bench) : nlohmann::json(nullptr);
    if (report.error)
        doc["error"] = {{"message", report.error->message}, {"hint", report.error->hint}};
    else
        doc["error"] = nullptr;
    return doc;
}

namespace {

// A table cell: one line, no '|', at most 300 characters.
std::string cell(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r')
            c = ' ';
    std::string out;
    for (char c : text)
        out += c == '|' ? std::string("\\|") : std::string(1, c);
    if (out.size() > 300)
        out = out.substr(0, 297) + "...";
    return out;
}

} // namespace

std::string to_markdown(const RunReport& report, std::size_t limit) {
    // The runner's checkout is a temporary place: name files from the repository's root.
    const std::string root = report.repo ? report.repo->path + "/" : "";
    auto in_repo = [&](std::string text) {
        if (root.size() > 1)
            for (auto at = text.find(root); at != std::string::npos; at = text.find(root))
                text.erase(at, root.size());
        return text;
    };
    std::string md =
        fmt::format("### rcd {}: {} in {}\n\n", report.command, report.ok() ? "passed" : "failed",
                    util::format_duration_ms(report.duration_ms));
    if (!report.stages.empty()) {
        md += "| stage | status | time | note | log |\n| --- | --- | --- | --- | --- |\n";
        for (const auto& s : report.stages)
            md += fmt::format(
                "| {} | {} | {} | {} | {} |\n", cell(s.name), exec::status_name(s.status),
                s.status == exec::StageStatus::skipped ? "-"
                                                       : util::format_duration_ms(s.duration_ms),
                cell(in_repo(s.reason)), s.log.empty() ? "" : "`" + cell(in_repo(s.log)) + "`");
        md += "\n";
    }
    if (report.cache) {
        std::vector<std::string> profiles;
        for (const auto& p : report.cache->profiles)
            profiles.push_back(fmt::format("{} `{}`", p.name, p.status));
        md += fmt::format("**Dependency cache:** {}{}\n\n", util::join(profiles, ", "),
                          report.cache->pushed ? " (pushed)" : "");
    }
    if (report.image && report.image->in_registry()) {
        md += fmt::format("**Image:** `{}`{}\n\n**Tags:** {}\n\n", cell(report.image->reference),
                          report.image->pushed() ? "" : " (already released: nothing pushed)",
                          cell(util::join(report.image->tags, ", ")));
        std::vector<std::string> attached;
        for (const auto& a : report.image->attachments)
            attached.push_back(fmt::format("{} `{}`", cell(a.artifact_type), cell(a.digest)));
        if (!attached.empty())
            md += fmt::format("**Attached:** {} (tag `{}`)\n\n", util::join(attached, ", "),
                              cell(report.image->referrers_tag));
    }
    if (report.bench)
        md += bench::markdown(*report.bench, report.bench_history) + "\n";
    if (report.error)
        md += fmt::format("**Error:** {}\n\n{}\n", cell(in_repo(report.error->message)),
                          cell(in_repo(report.error->hint)));
    if (md.size() > limit)
        md = md.substr(0, limit - 40) + "\n\n(summary cut at the size limit)\n";
    return md;
}

} // namespace rcd::report
