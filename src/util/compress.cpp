#include "rcd/util/compress.hpp"

#include <zlib.h>
#include <zstd.h>

namespace rcd::util {

Result<std::string> gzip_compress(std::string_view data) {
    z_stream stream{};
    // 15 + 16: a gzip wrapper; zlib writes MTIME 0 and no name unless given a header.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return fail(ExitCode::filesystem, "cannot start gzip compression", "");
    std::string out(deflateBound(&stream, data.size()) + 32, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (rc != Z_STREAM_END)
        return fail(ExitCode::filesystem, "gzip compression failed", "");
    return out;
}

Result<std::string> gzip_decompress(std::string_view data) {
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 16) != Z_OK)
        return fail(ExitCode::filesystem, "cannot start gzip decompression", "");
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buffer[65536];
    int rc = Z_OK;
    while (rc == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof buffer;
        rc = inflate(&stream, Z_NO_FLUSH);
        out.append(buffer, sizeof buffer - stream.avail_out);
    }
    inflateEnd(&stream);
    if (rc != Z_STREAM_END)
        return fail(ExitCode::filesystem, "the gzip data is corrupt", "");
    return out;
}

Result<std::string> zstd_compress(std::string_view data, int level) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    std::size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
    if (ZSTD_isError(n))
        return fail(ExitCode::filesystem,
                    std::string("zstd compression failed: ") + ZSTD_getErrorName(n), "");
    out.resize(n);
    return out;
}

} // namespace rcd::util
