#include "rcd/util/duration.hpp"

#include <cctype>

namespace rcd::util {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    long long total_ms = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!std::isdigit(static_cast<unsigned char>(text[i])))
            return std::nullopt;
        long long value = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            value = value * 10 + (text[i] - '0');
            if (value > 1'000'000'000)
                return std::nullopt;
            ++i;
        }
        std::size_t unit_start = i;
        while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
            ++i;
        std::string_view unit = text.substr(unit_start, i - unit_start);
        if (unit == "ms")
            total_ms += value;
        else if (unit == "s")
            total_ms += value * 1000;
        else if (unit == "m")
            total_ms += value * 60'000;
        else if (unit == "h")
            total_ms += value * 3'600'000;
        else
            return std::nullopt;
    }
    return std::chrono::milliseconds(total_ms);
}

} // namespace rcd::util
