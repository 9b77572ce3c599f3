// The pure parts of the Go language's hooks (lang/go.cpp), unit-tested apart.
#pragma once

#include "rcd/cargo/dependencies.hpp"
#include "rcd/image/oci.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::lang {

struct GoModule {
    std::string path; // the `module` line
    std::string go;   // the `go` line: "1.19"
};

GoModule parse_go_mod(std::string_view text);

// `go test ... -json ...`: a stage whose output is test2json's events.
bool runs_go_test_json(const std::vector<std::string>& argv);

// What the Go cache's key is made of: the modules (go.sum, vendor/modules.txt), go.mod's `go`
// line, the toolchain (`go version`) and the platforms its stages build for (`go env GOOS
// GOARCH CGO_ENABLED` of each: "linux/amd64 cgo=0"; the build stage's CGO_ENABLED=0 compiles
// the standard library again, which a check alone never does).
struct GoKeyInput {
    std::string profile;
    std::string go_sum;
    std::string vendor_modules;
    std::string go_line;
    std::string go_version;
    std::vector<std::string> platforms; // any order, repeats allowed
};

std::string go_cache_key(const GoKeyInput& input); // sha256 hex

// The image platform of GOOS/GOARCH (GOARM for arm); nothing for a platform that is not Linux.
std::optional<image::Platform> go_platform(const std::string& goos, const std::string& goarch,
                                           const std::string& goarm);

// From `go list -deps -f '{{with .Module}}{{.Path}}\t{{.Version}}\t{{.Main}}{{end}}'`: the main
// module first, then every module a package of the binary comes from.
cargo::DependencyGraph go_dependency_graph(std::string_view go_list, const GoModule& module);

} // namespace rcd::lang
