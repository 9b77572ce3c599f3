#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace rcd::util {

// Parses "90s", "10m", "1h30m", "500ms". A bare number has no unit and is rejected.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

} // namespace rcd::util
