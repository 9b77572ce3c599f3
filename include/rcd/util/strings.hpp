// Small string helpers that know nothing about rcd.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::util {

std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate within a typo's reach of `word`, for "did you mean" hints.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::vector<std::string> split(std::string_view text, char separator);

// Quotes an argv element the way a shell user would type it, for display only.
std::string shell_quote(std::string_view arg);
std::string shell_join(const std::vector<std::string>& argv);

// Removes ANSI escape sequences (colour, cursor moves) from terminal output.
std::string strip_ansi(std::string_view text);

// "0.3s", "12.4s", "2m05s".
std::string format_duration_ms(long long ms);

} // namespace rcd::util
