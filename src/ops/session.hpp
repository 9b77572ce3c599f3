// What the command operations share: how a run is shown, its stage settings and dependency
// cache, and what a run leaves for people and the next CI job besides result.json.
#pragma once

#include "rcd/cache/planner.hpp"
#include "rcd/ops/options.hpp"
#include "rcd/ops/publish.hpp"
#include "rcd/ops/run.hpp"
#include "rcd/report/terminal.hpp"
#include "rcd/util/log.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rcd::ops {

// The terminal of one command: rcd::log's lines go to `reporter` (notes and warnings unless
// -q, details with -v), and a live transfer line on a terminal (never in CI or with -q) is
// cleared before each of them so the two never mix.
class Console {
  public:
    Console(const Invocation& invocation, report::TerminalReporter& reporter);
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    // Transfers of images and caches draw the transfer line.
    void attach(PublishOptions& options);
    void clear() { transfers_.clear(); }

  private:
    report::TerminalReporter& reporter_;
    report::TransferLine transfers_;
    log::TerminalScope scope_;
};

// The project in front of the command, and its run's log started: target/rcd/logs/rcd.log
// takes every line of rcd::log from here on. A log that cannot be written is a warning, never
// a failed run.
Result<Project> open_project(const Invocation& invocation);

// The stage run of check, build and release (and what plan shows): phases, selection, and the
// stages' colour.
RunSettings run_settings(const std::string& command, const Invocation& invocation,
                         const StageOptions& stages);

// The run's dependency cache. A cache that cannot be opened is a note, never a failed run: the
// stages then build the dependencies themselves.
std::unique_ptr<cache::Planner> open_run_cache(const Project& project, const RunSettings& settings,
                                               const PublishOptions& options,
                                               const StageOptions& stages);

Status validate_tags(const std::vector<std::string>& tags);

// The final lines of a release or image run: where the image went.
void show_image(report::TerminalReporter& reporter, const report::ImageSummary& image);

// Where the next CI job finds the image: $GITHUB_OUTPUT under GitHub Actions, --dotenv (a
// GitLab dotenv report) and --image-refs (as ko writes it). Only for an image the registry
// holds; a problem is a warning, never a failed release.
void write_image_refs(const Invocation& invocation, const ReleaseOptions& options,
                      const report::ImageSummary& image);

// What a stage run leaves besides result.json: the JUnit file of --junit, and under GitHub
// Actions the step summary. Neither may fail the run: a problem is a warning.
void write_run_extras(const Invocation& invocation, const StageOptions& stages,
                      const Project& project, const report::RunReport& report);

// The image of the last build: assembled and checked to start, tried with image.smoke when
// it is pushed (the "smoke" stage joins the run's stages), then written and pushed with the
// SBOM and provenance of `run`.
Result<report::ImageSummary> ship_image(const Project& project, const PublishOptions& options,
                                        report::TerminalReporter& reporter, report::RunReport& run);

// Whether target/rcd/result.json records a run of this same clean commit that passed every
// check stage: what lets `rcd image --push` move `latest`.
bool recorded_checks_passed(const Project& project);

} // namespace rcd::ops
