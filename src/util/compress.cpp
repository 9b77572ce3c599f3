#include "rcd/util/compress.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>
#include <zlib.h>
#include <zstd.h>

namespace rcd::util {

Result<std::string> gzip_compress(std::string_view data, int level, unsigned threads) {
    const std::size_t blocks =
        std::max<std::size_t>(1, (data.size() + kGzipBlock - 1) / kGzipBlock);
    // Each block deflates into its own slot of the output, then the slots close up: the output
    // is written once, and memory no block needs is never touched.
    const std::size_t slot = compressBound(kGzipBlock) + 64;
    constexpr std::size_t kHeader = 10;
    struct Piece {
        std::size_t input = 0; // bytes of the block
        std::size_t size = 0;  // deflated
        uLong crc = 0;
        bool ok = false;
    };
    std::vector<Piece> pieces(blocks);
    std::string out;
    out.resize_and_overwrite(kHeader + blocks * slot + 8, [&](char* buffer, std::size_t) {
        // Block i is deflated alone, primed with the 32 KiB of input before it and ended on a
        // byte boundary (a sync flush; the last one ends the stream), so the pieces join into
        // one deflate stream whichever thread made each.
        auto deflate_block = [&](std::size_t i) {
            const std::size_t start = std::min(i * kGzipBlock, data.size());
            std::string_view in = data.substr(start, kGzipBlock);
            Piece& piece = pieces[i];
            piece.input = in.size();
            piece.crc =
                crc32(0, reinterpret_cast<const Bytef*>(in.data()), static_cast<uInt>(in.size()));
            z_stream stream{};
            if (deflateInit2(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return;
            const std::size_t window = std::min<std::size_t>(start, 32 << 10);
            if (window > 0)
                deflateSetDictionary(&stream,
                                     reinterpret_cast<const Bytef*>(data.data() + start - window),
                                     static_cast<uInt>(window));
            stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
            stream.avail_in = static_cast<uInt>(in.size());
            stream.next_out = reinterpret_cast<Bytef*>(buffer + kHeader + i * slot);
            stream.avail_out = static_cast<uInt>(slot);
            const bool last = i + 1 == blocks;
            int rc = deflate(&stream, last ? Z_FINISH : Z_SYNC_FLUSH);
            piece.ok = last ? rc == Z_STREAM_END : rc == Z_OK && stream.avail_out > 0;
            piece.size = stream.total_out;
            deflateEnd(&stream);
        };
        std::atomic<std::size_t> next{0};
        auto work = [&] {
            for (std::size_t i = next++; i < blocks; i = next++)
                deflate_block(i);
        };
        {
            std::vector<std::jthread> helpers;
            for (unsigned t = 1; t < std::min<std::size_t>(std::max(threads, 1u), blocks); ++t)
                helpers.emplace_back(work);
            work();
        }

        // A gzip header with no name and no time (RFC 1952), the one deflate stream, the
        // trailer: the crc and the size of the input.
        std::memcpy(buffer, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", kHeader);
        std::size_t end = kHeader;
        uLong crc = crc32(0, nullptr, 0);
        for (std::size_t i = 0; i < blocks; ++i) {
            if (!pieces[i].ok)
                return std::size_t{0};
            std::memmove(buffer + end, buffer + kHeader + i * slot, pieces[i].size);
            end += pieces[i].size;
            crc = crc32_combine(crc, pieces[i].crc, static_cast<z_off_t>(pieces[i].input));
        }
        for (std::uint32_t value : {static_cast<std::uint32_t>(crc),
                                    static_cast<std::uint32_t>(data.size() & 0xffffffffu)})
            for (int shift = 0; shift < 32; shift += 8)
                buffer[end++] = static_cast<char>((value >> shift) & 0xff);
        return end;
    });
    if (out.empty())
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
