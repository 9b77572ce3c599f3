// The deploy hand-off, as `ko resolve` does it: the image references in deploy files (Kubernetes
// YAML, Terraform variables, anything) replaced by the digest of a release. Pure: text in, text
// and what changed out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rcd::supply {

struct ResolveTarget {
    std::string name;       // the service, as rcd.yaml names it: what `rcd://NAME` stands for
    std::string repository; // 127.0.0.1:5000/team/api
    std::string digest;     // sha256:... of the release
};

// A reference found in the text, by 1-based line.
struct Found {
    int line = 0;
    std::string text; // as written
};

struct Resolved {
    std::string text;               // with every placeholder and tag reference replaced
    std::vector<Found> replaced;    // `rcd://NAME`, REPOSITORY:TAG
    std::vector<Found> drift;       // REPOSITORY@sha256:... of another digest (replaced too)
    std::vector<Found> other_names; // `rcd://OTHER`: not this service (left as written)
};

// Replaces `rcd://NAME` and the references to the repository, REPOSITORY:TAG,
// REPOSITORY@DIGEST and REPOSITORY:TAG@DIGEST, with REPOSITORY@DIGEST of `target`. A reference
// is whole: the repository is not part of a longer name (`REPOSITORY-cache`, `x/REPOSITORY`).
Resolved resolve_references(std::string_view text, const ResolveTarget& target);

} // namespace rcd::supply
