#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace rcd::util {

// Parses "90s", "10m", "1h30m", "500ms". A bare number has no unit and is rejected.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Milliseconds from `since` until now, on the monotonic clock.
inline long long elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 since)
        .count();
}

} // namespace rcd::util
