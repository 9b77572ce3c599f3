#include "rcd/supply/resolve.hpp"

#include <algorithm>

namespace rcd::supply {

namespace {

constexpr std::string_view kScheme = "rcd://";

bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

// A character that may continue an image reference: its path, tag or digest.
bool reference_char(char c) {
    return name_char(c) || c == '/' || c == ':' || c == '@';
}

// The length of a tag at `text` (":" excluded): [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, or 0.
std::size_t tag_length(std::string_view text) {
    if (text.empty() || !(std::isalnum(static_cast<unsigned char>(text[0])) || text[0] == '_'))
        return 0;
    std::size_t n = 1;
    while (n < text.size() && n < 128 && name_char(text[n]))
        ++n;
    return n;
}

// The length of "sha256:<64 hex>" at `text`, or 0.
std::size_t digest_length(std::string_view text) {
    constexpr std::string_view prefix = "sha256:";
    if (!text.starts_with(prefix) || text.size() < prefix.size() + 64)
        return 0;
    for (std::size_t i = prefix.size(); i < prefix.size() + 64; ++i)
        if (!std::isxdigit(static_cast<unsigned char>(text[i])) || std::isupper(text[i]))
            return 0;
    return prefix.size() + 64;
}

} // namespace

Resolved resolve_references(std::string_view text, const ResolveTarget& target) {
    Resolved out;
    const std::string pinned = target.repository + "@" + target.digest;
    int line = 1;
    std::size_t i = 0;
    auto at_boundary = [&](std::size_t pos) { return pos == 0 || !reference_char(text[pos - 1]); };
    while (i < text.size()) {
        const std::string_view rest = text.substr(i);
        if (rest.starts_with(kScheme) && at_boundary(i)) {
            std::size_t n = kScheme.size();
            while (n < rest.size() && name_char(rest[n]))
                ++n;
            const std::string_view name = rest.substr(kScheme.size(), n - kScheme.size());
            if (name == target.name) {
                out.replaced.push_back({line, std::string(rest.substr(0, n))});
                out.text += pinned;
            } else {
                out.other_names.push_back({line, std::string(rest.substr(0, n))});
                out.text += rest.substr(0, n);
            }
            i += n;
            continue;
        }
        if (rest.starts_with(target.repository) && at_boundary(i)) {
            std::size_t n = target.repository.size();
            std::size_t tag = 0, digest = 0;
            if (n < rest.size() && rest[n] == ':')
                tag = tag_length(rest.substr(n + 1));
            std::size_t end = tag ? n + 1 + tag : n;
            if (end < rest.size() && rest[end] == '@')
                digest = digest_length(rest.substr(end + 1));
            if (digest)
                end += 1 + digest;
            const bool whole =
                (tag || digest) && (end == rest.size() || !reference_char(rest[end]));
            if (whole) {
                const std::string found(rest.substr(0, end));
                const std::string_view named = digest ? rest.substr(end - digest, digest) : "";
                if (digest && named != target.digest)
                    out.drift.push_back({line, found});
                else if (!digest || tag)
                    out.replaced.push_back({line, found});
                out.text += pinned;
                i += end;
                continue;
            }
        }
        if (text[i] == '\n')
            ++line;
        out.text += text[i];
        ++i;
    }
    return out;
}

} // namespace rcd::supply
