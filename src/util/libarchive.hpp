// libarchive behind RAII handles, and its errors as rcd errors; shared by tar.cpp and
// archive.cpp, and by nothing outside util.
#pragma once

#include "rcd/util/result.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <memory>
#include <string>

namespace rcd::util::detail {

struct WriteDeleter {
    void operator()(struct archive* a) const { archive_write_free(a); }
};
struct ReadDeleter {
    void operator()(struct archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

using WriteArchive = std::unique_ptr<struct archive, WriteDeleter>;
using ReadArchive = std::unique_ptr<struct archive, ReadDeleter>;
using Entry = std::unique_ptr<archive_entry, EntryDeleter>;

inline std::unexpected<Error> archive_error(const std::string& what, struct archive* a) {
    const char* why = archive_error_string(a);
    return fail(ExitCode::filesystem, fmt::format("{}: {}", what, why ? why : "unknown error"),
                "check free disk space and the permissions of the directory");
}

} // namespace rcd::util::detail
