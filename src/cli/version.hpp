#pragma once

#include <string>
#include <utility>
#include <vector>

namespace rcd::cli {
// name -> version of each library rcd was built with.
std::vector<std::pair<std::string, std::string>> library_versions();
} // namespace rcd::cli
