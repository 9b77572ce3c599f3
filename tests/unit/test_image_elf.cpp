#include "rcd/image/elf.hpp"
#include "rcd/util/fs.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>

using namespace rcd;
using namespace rcd::image;

namespace {

// A little-endian ELF64 executable with what a test asks for: an interpreter, and a dynamic
// section naming libraries and a run path, laid out as a linker would.
struct ElfBuilder {
    std::string interpreter;
    std::vector<std::string> needed;
    std::string runpath;
    std::uint16_t machine = 62; // x86-64

    std::string build() const {
        constexpr std::uint64_t base = 0x400000;
        std::string strtab(1, '\0');
        auto add_string = [&](const std::string& s) {
            auto at = strtab.size();
            strtab += s + '\0';
            return at;
        };
        std::vector<std::pair<std::uint64_t, std::uint64_t>> dynamic;
        for (const auto& lib : needed)
            dynamic.push_back({1, add_string(lib)});
        if (!runpath.empty())
            dynamic.push_back({29, add_string(runpath)});
        const int phnum = 1 + (interpreter.empty() ? 0 : 1) + (dynamic.empty() ? 0 : 1);
        const std::uint64_t phoff = 64;
        std::uint64_t at = phoff + 56 * phnum;
        const std::uint64_t interp_off = at;
        at += interpreter.size() + 1;
        const std::uint64_t strtab_off = at;
        at += strtab.size();
        at = (at + 7) & ~std::uint64_t{7};
        const std::uint64_t dynamic_off = at;
        dynamic.push_back({5, base + strtab_off});
        dynamic.push_back({0, 0});
        const std::uint64_t size = dynamic_off + 16 * dynamic.size();

        std::string out(size, '\0');
        auto put = [&](std::uint64_t offset, std::uint64_t value, int bytes) {
            for (int i = 0; i < bytes; ++i)
                out[offset + i] = static_cast<char>((value >> (8 * i)) & 0xff);
        };
        out.replace(0, 4,
                    "\x7f"
                    "ELF");
        out[4] = 2; // 64-bit
        out[5] = 1; // little endian
        out[6] = 1;
        put(16, 3, 2); // ET_DYN
        put(18, machine, 2);
        put(32, phoff, 8);
        put(52, 64, 2);
        put(54, 56, 2);
        put(56, phnum, 2);
        std::uint64_t ph = phoff;
        auto segment = [&](std::uint32_t type, std::uint64_t offset, std::uint64_t length) {
            put(ph, type, 4);
            put(ph + 8, offset, 8);
            put(ph + 16, base + offset, 8);
            put(ph + 32, length, 8);
            ph += 56;
        };
        segment(1, 0, size); // PT_LOAD of everything
        if (!interpreter.empty()) {
            segment(3, interp_off, interpreter.size() + 1);
            out.replace(interp_off, interpreter.size(), interpreter);
        }
        out.replace(strtab_off, strtab.size(), strtab);
        if (needed.size() + (runpath.empty() ? 0 : 1) > 0) {
            segment(2, dynamic_off, 16 * dynamic.size());
            for (std::size_t i = 0; i < dynamic.size(); ++i) {
                put(dynamic_off + 16 * i, dynamic[i].first, 8);
                put(dynamic_off + 16 * i + 8, dynamic[i].second, 8);
            }
        }
        return out;
    }
};

} // namespace

TEST_CASE("a dynamic executable names its interpreter, libraries and run path") {
    ElfBuilder elf{"/lib64/ld-linux-x86-64.so.2", {"libc.so.6", "libssl.so.3"}, "$ORIGIN/../lib"};
    auto info = read_executable(elf.build());
    REQUIRE(info);
    CHECK_FALSE(info->script);
    CHECK(info->interpreter == "/lib64/ld-linux-x86-64.so.2");
    CHECK(info->needed == std::vector<std::string>{"libc.so.6", "libssl.so.3"});
    CHECK(info->runpath == std::vector<std::string>{"$ORIGIN/../lib"});
    CHECK(info->multiarch == "x86_64-linux-gnu");
    CHECK_FALSE(info->self_contained());
}

TEST_CASE("a static executable needs nothing at start") {
    auto info = read_executable(ElfBuilder{}.build());
    REQUIRE(info);
    CHECK(info->self_contained());
    ElfBuilder arm;
    arm.machine = 183;
    CHECK(read_executable(arm.build())->multiarch == "aarch64-linux-gnu");
}

TEST_CASE("a script names the interpreter of its #! line") {
    auto info = read_executable("#!/bin/sh -e\necho hi\n");
    REQUIRE(info);
    CHECK(info->script);
    CHECK(info->interpreter == "/bin/sh");
    CHECK_FALSE(read_executable("#!\n"));
}

TEST_CASE("truncated or corrupt headers are errors, never a crash") {
    const std::string good = ElfBuilder{"/lib64/ld-linux-x86-64.so.2", {"libc.so.6"}, ""}.build();
    CHECK_FALSE(read_executable("not an executable"));
    CHECK_FALSE(read_executable(""));
    // Every prefix of a valid file either parses or fails cleanly.
    for (std::size_t n = 0; n < good.size(); ++n)
        (void)read_executable(good.substr(0, n));
    auto bad_offset = good;
    bad_offset[32 + 7] = '\x7f'; // e_phoff far beyond the file
    auto error = read_executable(bad_offset);
    REQUIRE_FALSE(error);
    CHECK(error.error().message.find("not a readable ELF file") != std::string::npos);
    CHECK(error.error().code == ExitCode::usage);
}

TEST_CASE("the machine's own programs read as the loader sees them") {
    std::error_code ec;
    if (!std::filesystem::exists("/bin/true", ec) || !std::filesystem::exists("/sbin/ldconfig"))
        return; // not a Debian-like machine: the synthetic files above still ran
    auto dynamic = read_executable(*util::read_file("/bin/true"));
    REQUIRE(dynamic);
    REQUIRE(dynamic->interpreter);
    CHECK(dynamic->interpreter->find("ld-linux") != std::string::npos);
    CHECK(std::find(dynamic->needed.begin(), dynamic->needed.end(), "libc.so.6") !=
          dynamic->needed.end());
    auto static_pie = read_executable(*util::read_file("/sbin/ldconfig"));
    REQUIRE(static_pie);
    CHECK(static_pie->self_contained());
}
