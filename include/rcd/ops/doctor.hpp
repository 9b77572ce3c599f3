// `rcd doctor`: what would stop a release here, one verdict per line.
#pragma once

#include "rcd/ops/project.hpp"
#include "rcd/ops/publish.hpp"
#include "rcd/report/documents.hpp"

#include <string>
#include <vector>

namespace rcd::ops {

using report::Check;
using report::Verdict;

std::vector<Check> run_doctor(const ProjectOptions& project_options,
                              const PublishOptions& publish_options);

} // namespace rcd::ops
