// Deterministic compression for image layers: the same bytes in give the same bytes out.
#pragma once

#include "rcd/util/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace rcd::util {

// gzip, made as pigz makes it: the input in blocks of kGzipBlock bytes, each deflated on its own
// thread, primed with the 32 KiB before it and ended on a byte boundary, joined into one deflate
// stream. The output is one ordinary gzip member (no file name, a zero timestamp, OS "Unix")
// whose bytes depend only on the input, the level and zlib, never on `threads`.
inline constexpr std::size_t kGzipBlock = 1 << 20;
Result<std::string> gzip_compress(std::string_view data, int level = 6, unsigned threads = 1);
Result<std::string> gzip_decompress(std::string_view data);

Result<std::string> zstd_compress(std::string_view data, int level = 3);

} // namespace rcd::util
