#include "rcd/image/elf.hpp"

#include "rcd/util/strings.hpp"

#include <cstdint>
#include <fmt/format.h>

namespace rcd::image {

namespace {

constexpr std::uint32_t kLoad = 1, kDynamic = 2, kInterp = 3;
constexpr std::uint64_t kNull = 0, kNeeded = 1, kStrtab = 5, kRpath = 15, kRunpath = 29;

std::unexpected<Error> bad(const std::string& why) {
    return fail(ExitCode::usage, fmt::format("the binary is not a readable ELF file: {}", why),
                "check that 'binary:' in rcd.yaml names the service's executable");
}

// Fixed-size reads at checked offsets, in the file's byte order.
class Reader {
  public:
    Reader(std::string_view bytes, bool big_endian) : bytes_(bytes), big_(big_endian) {}

    std::optional<std::uint64_t> uint(std::uint64_t offset, int size) const {
        if (offset > bytes_.size() || bytes_.size() - offset < static_cast<std::uint64_t>(size))
            return std::nullopt;
        std::uint64_t value = 0;
        for (int i = 0; i < size; ++i) {
            auto byte = static_cast<unsigned char>(bytes_[offset + (big_ ? i : size - 1 - i)]);
            value = (value << 8) | byte;
        }
        return value;
    }

    // A NUL-terminated string starting at `offset`, within `limit` bytes.
    std::optional<std::string> cstring(std::uint64_t offset, std::uint64_t limit) const {
        if (offset >= bytes_.size())
            return std::nullopt;
        std::string_view rest = bytes_.substr(offset, limit);
        auto end = rest.find('\0');
        if (end == std::string_view::npos)
            return std::nullopt;
        return std::string(rest.substr(0, end));
    }

  private:
    std::string_view bytes_;
    bool big_;
};

std::string multiarch_of(std::uint64_t machine, bool wide) {
    switch (machine) {
    case 62:
        return "x86_64-linux-gnu";
    case 183:
        return "aarch64-linux-gnu";
    case 3:
        return "i386-linux-gnu";
    case 40:
        return "arm-linux-gnueabihf";
    case 243:
        return wide ? "riscv64-linux-gnu" : "";
    case 21:
        return "powerpc64le-linux-gnu";
    case 22:
        return "s390x-linux-gnu";
    default:
        return "";
    }
}

struct Segment {
    std::uint64_t type, offset, vaddr, filesz;
};

Result<ExecutableInfo> read_script(std::string_view bytes) {
    ExecutableInfo info;
    info.script = true;
    std::string line(bytes.substr(2, bytes.find('\n') == std::string_view::npos
                                         ? std::string_view::npos
                                         : bytes.find('\n') - 2));
    line = util::trim(line);
    auto space = line.find_first_of(" \t");
    std::string interpreter = line.substr(0, space);
    if (interpreter.empty())
        return bad("a '#!' line without an interpreter");
    info.interpreter = interpreter;
    return info;
}

} // namespace

Result<ExecutableInfo> read_executable(std::string_view bytes) {
    if (bytes.starts_with("#!"))
        return read_script(bytes);
    if (bytes.size() < 52 || !bytes.starts_with("\x7f"
                                                "ELF"))
        return bad("no ELF header");
    const bool wide = bytes[4] == 2;
    if (bytes[4] != 1 && bytes[4] != 2)
        return bad("unknown ELF class");
    if (bytes[5] != 1 && bytes[5] != 2)
        return bad("unknown byte order");
    Reader r(bytes, bytes[5] == 2);
    const int word = wide ? 8 : 4;

    ExecutableInfo info;
    info.multiarch = multiarch_of(*r.uint(18, 2), wide);
    auto phoff = r.uint(wide ? 32 : 28, word);
    auto phentsize = r.uint(wide ? 54 : 42, 2);
    auto phnum = r.uint(wide ? 56 : 44, 2);
    if (!phoff || !phentsize || !phnum || *phentsize < static_cast<std::uint64_t>(wide ? 56 : 32))
        return bad("a broken program header table");

    std::vector<Segment> segments;
    for (std::uint64_t i = 0; i < *phnum; ++i) {
        std::uint64_t at = *phoff + i * *phentsize;
        // 64-bit: type, flags, offset, vaddr, paddr, filesz; 32-bit: type, offset, vaddr,
        // paddr, filesz.
        auto type = r.uint(at, 4);
        auto offset = r.uint(at + (wide ? 8 : 4), word);
        auto vaddr = r.uint(at + (wide ? 16 : 8), word);
        auto filesz = r.uint(at + (wide ? 32 : 16), word);
        if (!type || !offset || !vaddr || !filesz)
            return bad(fmt::format("program header {} lies outside the file", i));
        segments.push_back({*type, *offset, *vaddr, *filesz});
    }

    const Segment* dynamic = nullptr;
    for (const auto& s : segments) {
        if (s.type == kInterp) {
            auto path = r.cstring(s.offset, s.filesz);
            if (!path || path->empty())
                return bad("an unreadable interpreter path");
            info.interpreter = *path;
        } else if (s.type == kDynamic) {
            dynamic = &s;
        }
    }
    if (!dynamic)
        return info;

    // The string table is named by its address; find the file offset of that address.
    auto file_offset = [&](std::uint64_t vaddr) -> std::optional<std::uint64_t> {
        for (const auto& s : segments)
            if (s.type == kLoad && vaddr >= s.vaddr && vaddr - s.vaddr < s.filesz)
                return s.offset + (vaddr - s.vaddr);
        return std::nullopt;
    };
    std::optional<std::uint64_t> strtab;
    std::vector<std::uint64_t> needed, rpath, runpath;
    for (std::uint64_t at = dynamic->offset; at + 2 * word <= dynamic->offset + dynamic->filesz;
         at += 2 * word) {
        auto tag = r.uint(at, word);
        auto value = r.uint(at + word, word);
        if (!tag || !value)
            return bad("the dynamic section lies outside the file");
        if (*tag == kNull)
            break;
        if (*tag == kStrtab)
            strtab = file_offset(*value);
        else if (*tag == kNeeded)
            needed.push_back(*value);
        else if (*tag == kRpath)
            rpath.push_back(*value);
        else if (*tag == kRunpath)
            runpath.push_back(*value);
    }
    if (needed.empty() && rpath.empty() && runpath.empty())
        return info;
    if (!strtab)
        return bad("the dynamic section has no string table");
    auto strings = [&](const std::vector<std::uint64_t>& offsets,
                       bool split) -> Result<std::vector<std::string>> {
        std::vector<std::string> out;
        for (auto offset : offsets) {
            auto text = r.cstring(*strtab + offset, 4096);
            if (!text)
                return bad("a library name lies outside the file");
            if (!split) {
                out.push_back(*text);
                continue;
            }
            for (const auto& dir : util::split(*text, ':'))
                if (!dir.empty())
                    out.push_back(dir);
        }
        return out;
    };
    RCD_ASSIGN(info.needed, strings(needed, false));
    RCD_ASSIGN(info.rpath, strings(rpath, true));
    RCD_ASSIGN(info.runpath, strings(runpath, true));
    return info;
}

} // namespace rcd::image
