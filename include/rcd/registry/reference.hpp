// Image references, parsed the way Docker parses them.
#pragma once

#include "rcd/util/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace rcd::registry {

struct Reference {
    std::string registry;   // "docker.io", "127.0.0.1:5000", "ghcr.io"
    std::string repository; // "library/alpine", "team/hello-api"
    std::optional<std::string> tag;
    std::optional<std::string> digest;

    std::string name() const; // registry/repository
    std::string str() const;  // name, then :tag and @digest when set
};

// "alpine" -> docker.io/library/alpine:latest when `default_tag` is set; "host:5000/a/b:v1";
// "a/b@sha256:...". The first component is a registry when it has a '.' or ':' or is
// "localhost".
Result<Reference> parse_reference(std::string_view text, bool default_latest = true);

// Whether the first component of `name` is a registry host (it has a '.' or ':' or is
// "localhost"), as in "ghcr.io/org/app" but not "org/app".
bool starts_with_registry(std::string_view name);

// The host that serves the API: docker.io is served by registry-1.docker.io.
std::string api_host(const std::string& registry);

// 127.0.0.0/8, ::1 and localhost, with or without a port.
bool is_loopback(const std::string& registry);

bool valid_tag(std::string_view tag);

} // namespace rcd::registry
