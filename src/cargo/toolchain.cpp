#include "rcd/cargo/toolchain.hpp"

#include "rcd/exec/process.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/strings.hpp"

#include <fmt/format.h>
#include <future>
#include <vector>

namespace rcd::cargo {

namespace {

Result<std::string> version_of(const std::vector<std::string>& argv,
                               const std::filesystem::path& dir) {
    auto out = exec::capture(exec::Command{argv, {}, dir, std::nullopt});
    if (!out || out->exit_code != 0)
        return fail(ExitCode::usage, fmt::format("'{}' failed", util::shell_join(argv)),
                    "install the Rust toolchain (rustup, or Debian's rustc and cargo)");
    return util::trim(out->output);
}

} // namespace

std::string Toolchain::id() const {
    return util::sha256_hex(rustc + "\n" + cargo).substr(0, 16);
}

std::string host_triple(const std::string& rustc_version) {
    for (const auto& line : util::split(rustc_version, '\n'))
        if (line.starts_with("host: "))
            return util::trim(line.substr(6));
    return "";
}

Result<Toolchain> probe_toolchain(const std::filesystem::path& dir) {
    Toolchain toolchain;
    // At once: each may go through rustup's proxy, which costs a lookup apiece.
    auto cargo =
        std::async(std::launch::async, version_of, std::vector<std::string>{"cargo", "-V"}, dir);
    RCD_ASSIGN(toolchain.rustc, version_of({"rustc", "-vV"}, dir));
    RCD_ASSIGN(toolchain.cargo, cargo.get());
    toolchain.host = host_triple(toolchain.rustc);
    return toolchain;
}

} // namespace rcd::cargo
