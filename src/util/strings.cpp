#include "rcd/util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>

namespace rcd::util {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment: Levenshtein plus adjacent transpositions, the commonest typo.
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
    // A third of the word's length, at least 1 and at most 3 edits, like cargo's suggestions.
    const std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
    std::optional<std::string> best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i != 0)
            out += separator;
        out += parts[i];
    }
    return out;
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(separator, start);
        if (end == std::string_view::npos)
            end = text.size();
        parts.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

std::string shell_quote(std::string_view arg) {
    const bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("-_./=:,+@%").find(c) != std::string_view::npos;
    });
    if (plain)
        return std::string(arg);
    std::string out = "'";
    for (char c : arg) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
    std::vector<std::string> quoted;
    quoted.reserve(argv.size());
    for (const auto& arg : argv)
        quoted.push_back(shell_quote(arg));
    return join(quoted, " ");
}

std::string printable(std::string_view text, std::size_t limit) {
    std::string out;
    const auto shown = text.substr(0, limit);
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const auto c = static_cast<unsigned char>(shown[i]);
        const auto next = i + 1 < shown.size() ? static_cast<unsigned char>(shown[i + 1]) : 0;
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) { // a C1 control (CSI) in UTF-8
            out += fmt::format("\\u{:04x}", next);
            ++i;
        } else {
            out += static_cast<char>(c);
        }
    }
    if (text.size() > limit)
        out += "...";
    return out;
}

std::string strip_ansi(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\x1b') {
            out += text[i];
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '[') {
            // CSI: parameters and intermediates, then one final byte in @..~.
            std::size_t j = i + 2;
            while (j < text.size() && !(text[j] >= '@' && text[j] <= '~'))
                ++j;
            i = j;
        } else if (i + 2 < text.size() &&
                   std::string_view("()*+").find(text[i + 1]) != std::string_view::npos) {
            i += 2; // character set selection, such as ESC ( B
        } else {
            ++i; // a two-byte escape
        }
    }
    return out;
}

std::string format_duration_ms(long long ms) {
    if (ms < 60'000)
        return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
    long long seconds = ms / 1000;
    return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
}

std::string format_bytes(std::int64_t bytes) {
    if (bytes < 1024 * 1024)
        return fmt::format("{:.1f} KB", static_cast<double>(bytes) / 1024.0);
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string format_rate(std::int64_t bytes, long long ms) {
    double seconds = std::max(1e-3, static_cast<double>(ms) / 1000.0);
    return fmt::format("{:.1f} MB/s", static_cast<double>(bytes) / seconds / (1024.0 * 1024.0));
}

std::optional<std::int64_t> parse_size(std::string_view text) {
    std::size_t end = 0;
    while (end < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[end])) || (text[end] == '.' && end > 0)))
        ++end;
    if (end == 0)
        return std::nullopt;
    double number = std::strtod(std::string(text.substr(0, end)).c_str(), nullptr);
    std::string_view unit = text.substr(end);
    double scale = 1;
    if (!unit.empty()) {
        static constexpr std::string_view units = "KMGT";
        auto power =
            units.find(static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0]))));
        std::string_view rest = unit.substr(1);
        if (power == std::string_view::npos ||
            !(rest.empty() || rest == "B" || rest == "b" || rest == "iB" || rest == "ib"))
            return std::nullopt;
        scale = std::pow(1024.0, static_cast<double>(power + 1));
    }
    return static_cast<std::int64_t>(number * scale);
}

std::string trim(std::string_view text) {
    const char* space = " \t\r\n";
    auto begin = text.find_first_not_of(space);
    if (begin == std::string_view::npos)
        return {};
    return std::string(text.substr(begin, text.find_last_not_of(space) - begin + 1));
}

std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);
    if (value && *value)
        return std::string(value);
    return std::nullopt;
}

} // namespace rcd::util
