// `rcd doctor`: what would stop a release here, one verdict per line.
#pragma once

#include "rcd/release/project.hpp"
#include "rcd/release/publish.hpp"

#include <string>
#include <vector>

namespace rcd::release {

enum class Verdict { ok, warn, fail };

struct Check {
    std::string name; // cargo, rustfmt, clippy, repository, config, registry, credentials
    Verdict verdict = Verdict::ok;
    std::string detail;           // versions, paths, or what is wrong; never a secret
    std::string hint;             // what to do, for a warning or a failure
    ExitCode code = ExitCode::ok; // for a failure: the exit code it would give a release
};

const char* verdict_name(Verdict verdict);

std::vector<Check> run_doctor(const ProjectOptions& project_options,
                              const PublishOptions& publish_options);

} // namespace rcd::release
