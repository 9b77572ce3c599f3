#pragma once

#include "rcd/ops/options.hpp"

#include <string>
#include <utility>
#include <vector>

namespace rcd::cli {
// name -> version of each library rcd was built with.
std::vector<std::pair<std::string, std::string>> library_versions();

// rcd version [--json]: rcd's version and its libraries'.
int version_command(const ops::Invocation& global);
} // namespace rcd::cli
