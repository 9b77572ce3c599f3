#include "rcd/registry/reference.hpp"

#include "rcd/util/hash.hpp"

#include <cctype>
#include <fmt/format.h>

namespace rcd::registry {

std::string Reference::name() const {
    return registry + "/" + repository;
}

std::string Reference::str() const {
    std::string out = name();
    if (tag)
        out += ":" + *tag;
    if (digest)
        out += "@" + *digest;
    return out;
}

bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > 128)
        return false;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if (!word(tag[0]))
        return false;
    for (char c : tag)
        if (!word(c) && c != '.' && c != '-')
            return false;
    return true;
}

namespace {
bool valid_component(std::string_view c) {
    // [a-z0-9]+ joined by '.', '_', '__' or '-'+.
    if (c.empty() || !std::isalnum(static_cast<unsigned char>(c.front())) ||
        !std::isalnum(static_cast<unsigned char>(c.back())))
        return false;
    for (char ch : c)
        if (!(std::islower(static_cast<unsigned char>(ch)) ||
              std::isdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-'))
            return false;
    return true;
}

} // namespace

bool starts_with_registry(std::string_view name) {
    auto slash = name.find('/');
    if (slash == std::string_view::npos)
        return false;
    std::string_view first = name.substr(0, slash);
    return first.find_first_of(".:") != std::string_view::npos || first == "localhost";
}

Result<Reference> parse_reference(std::string_view text, bool default_latest) {
    auto bad = [&](const std::string& why) {
        return fail(ExitCode::usage, fmt::format("invalid image reference '{}': {}", text, why),
                    "write it like registry.example.com/team/app:tag");
    };
    if (text.empty())
        return bad("it is empty");
    Reference ref;
    std::string rest(text);
    if (auto at = rest.find('@'); at != std::string::npos) {
        ref.digest = rest.substr(at + 1);
        rest.resize(at);
        if (!util::is_sha256_digest(*ref.digest))
            return bad("the digest must be sha256: and 64 lowercase hex digits");
    }
    if (starts_with_registry(rest)) {
        auto slash = rest.find('/');
        ref.registry = rest.substr(0, slash);
        rest = rest.substr(slash + 1);
    } else {
        ref.registry = "docker.io";
    }
    if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        ref.tag = rest.substr(colon + 1);
        rest.resize(colon);
        if (!valid_tag(*ref.tag))
            return bad(fmt::format("'{}' is not a valid tag", *ref.tag));
    }
    if (rest.empty())
        return bad("the repository name is missing");
    std::size_t start = 0;
    while (start <= rest.size()) {
        auto end = rest.find('/', start);
        std::string_view component = std::string_view(rest).substr(
            start, end == std::string::npos ? std::string::npos : end - start);
        if (!valid_component(component))
            return bad(fmt::format("'{}' is not a valid name (lowercase letters, digits, '.', "
                                   "'_' and '-')",
                                   component));
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    if (ref.registry == "docker.io" && rest.find('/') == std::string::npos)
        rest = "library/" + rest;
    ref.repository = rest;
    if (!ref.tag && !ref.digest && default_latest)
        ref.tag = "latest";
    return ref;
}

std::string api_host(const std::string& registry) {
    return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

bool is_loopback(const std::string& registry) {
    std::string host = registry;
    if (host.starts_with("[")) {
        host = host.substr(1, host.find(']') - 1);
    } else if (auto colon = host.rfind(':');
               colon != std::string::npos && host.find(':') == colon) {
        host.resize(colon);
    }
    return host == "localhost" || host == "::1" || host.starts_with("127.");
}

} // namespace rcd::registry
