#include "rcd/report/run_report.hpp"

namespace rcd::report {

namespace {
template <typename T> nlohmann::json optional_value(const std::optional<T>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
} // namespace

nlohmann::json to_json(const RunReport& report) {
    nlohmann::json doc;
    doc["command"] = report.command;
    doc["ok"] = report.ok();
    doc["exit_code"] = report.exit_code;
    doc["duration_ms"] = report.duration_ms;
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
    if (report.image)
        doc["image"] = {{"repository", report.image->repository},
                        {"digest", report.image->digest},
                        {"tags", report.image->tags},
                        {"reference", report.image->reference},
                        {"blobs_pushed", report.image->blobs_pushed},
                        {"blobs_skipped", report.image->blobs_skipped},
                        {"bytes_uploaded", report.image->bytes_uploaded},
                        {"pushed", report.image->pushed},
                        {"outputs", report.image->outputs},
                        {"assemble_ms", report.image->assemble_ms},
                        {"push_ms", report.image->push_ms}};
    else
        doc["image"] = nullptr;
    if (report.error)
        doc["error"] = {{"message", report.error->message}, {"hint", report.error->hint}};
    else
        doc["error"] = nullptr;
    return doc;
}

} // namespace rcd::report
