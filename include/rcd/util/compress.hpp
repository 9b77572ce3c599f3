// Deterministic compression for image layers: the same bytes in give the same bytes out.
#pragma once

#include "rcd/util/result.hpp"

#include <string>
#include <string_view>

namespace rcd::util {

// gzip with no file name and a zero timestamp in its header.
Result<std::string> gzip_compress(std::string_view data);
Result<std::string> gzip_decompress(std::string_view data);

Result<std::string> zstd_compress(std::string_view data, int level = 3);

} // namespace rcd::util
