// rcd sbom: the SBOM a release of this commit would attach, printed without building anything.
#include "rcd/ops/attest.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/ops/publish.hpp"
#include "session.hpp"

#include <iostream>

namespace rcd::ops {

Result<int> sbom(const Invocation& invocation, const std::string& format) {
    RCD_ASSIGN(auto project, open_project(invocation));
    RCD_ASSIGN(auto target, planned_target(project));
    RCD_ASSIGN(auto input, sbom_input(project, target.name));
    auto doc =
        format == "cyclonedx" ? supply::cyclonedx_document(input) : supply::spdx_document(input);
    // The document is JSON already: --json prints it on one line, for JSON Lines.
    std::cout << (invocation.json ? doc.dump() : doc.dump(2)) << "\n";
    return 0;
}

} // namespace rcd::ops
