// Small string helpers that know nothing about rcd.
#pragma once

#include <cstddef>
#include <cstdint>
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

// Text from outside (a registry's error, a header) made safe for a terminal: control characters
// and escape sequences shown escaped (\x1b, \n), and at most `limit` bytes.
std::string printable(std::string_view text, std::size_t limit = 400);

// Removes ANSI escape sequences (colour, cursor moves) from terminal output.
std::string strip_ansi(std::string_view text);

// "0.3s", "12.4s", "2m05s".
std::string format_duration_ms(long long ms);

// "812.3 KB", "41.0 MB" (powers of 1024), and a rate such as "38.2 MB/s" (bytes over ms).
std::string format_bytes(std::int64_t bytes);
std::string format_rate(std::int64_t bytes, long long ms);

// "4096", "500M", "1.5G", "2GiB": bytes, with K, M, G and T as powers of 1024.
std::optional<std::int64_t> parse_size(std::string_view text);

// Without leading and trailing whitespace.
std::string trim(std::string_view text);

// The environment variable `name`, when it is set and not empty.
std::optional<std::string> env(const char* name);

} // namespace rcd::util
