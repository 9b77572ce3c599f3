// What an executable needs from the file system it starts in: its ELF interpreter and the
// shared libraries it names (PT_INTERP, DT_NEEDED), or a script's `#!` interpreter.
#pragma once

#include "rcd/util/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::image {

struct ExecutableInfo {
    bool script = false;                    // starts with "#!"
    std::optional<std::string> interpreter; // PT_INTERP, or the script's interpreter
    std::vector<std::string> needed;        // DT_NEEDED, in order
    std::vector<std::string> rpath;         // DT_RPATH entries (used only without DT_RUNPATH)
    std::vector<std::string> runpath;       // DT_RUNPATH entries
    std::string multiarch;                  // "x86_64-linux-gnu", from e_machine; may be empty

    // Statically linked: nothing to find at start.
    bool self_contained() const { return !interpreter && needed.empty(); }
};

// Reads the headers of an ELF file (32 or 64 bit, either byte order) or a `#!` script. Every
// offset is checked against the bytes given: hostile input gives an error, never a crash.
Result<ExecutableInfo> read_executable(std::string_view bytes);

} // namespace rcd::image
