#include "rcd/cache/archive.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/growing_file.hpp"

#include "temp_dir.hpp"
#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <iterator>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace rcd;

namespace {
timespec mtime_of(const std::filesystem::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mtim;
}

void set_mtime(const std::filesystem::path& p, long sec, long nsec) {
    timespec t[2] = {{sec, nsec}, {sec, nsec}};
    REQUIRE(::utimensat(AT_FDCWD, p.c_str(), t, AT_SYMLINK_NOFOLLOW) == 0);
}

// A .tar.zst holding one entry, written with libarchive as an attacker could.
std::filesystem::path hostile(const test::TempDir& dir, const std::string& path,
                              const char* link_target = nullptr) {
    auto file = dir / "hostile.tar.zst";
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_zstd(a);
    archive_write_open_filename(a, file.c_str());
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_perm(e, 0644);
    if (link_target) {
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, link_target);
    } else {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, 3);
    }
    archive_write_header(a, e);
    if (!link_target)
        archive_write_data(a, "bad", 3);
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    return file;
}
// A .tar.zst of regular files, in the order given (a name may come twice).
std::filesystem::path crafted(const test::TempDir& dir,
                              const std::vector<std::pair<std::string, std::string>>& files) {
    auto file = dir / "crafted.tar.zst";
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_zstd(a);
    archive_write_open_filename(a, file.c_str());
    for (const auto& [path, data] : files) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, path.c_str());
        archive_entry_set_perm(e, 0644);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
        archive_write_header(a, e);
        archive_write_data(a, data.data(), data.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return file;
}
// One entry of a forged archive: a file (with `data`, and a `size` that may lie), a
// directory, a symbolic or hard link, or any other type.
struct Forged {
    Forged(std::string path_, unsigned type_ = AE_IFREG, std::string data_ = {},
           std::string link_ = {}, unsigned mode_ = 0644, la_int64_t size_ = -1)
        : path(std::move(path_)), type(type_), data(std::move(data_)), link(std::move(link_)),
          mode(mode_), size(size_) {}
    std::string path;
    unsigned type;
    std::string data;
    std::string link; // a symbolic link's target, or a hard link's first name
    unsigned mode;
    la_int64_t size; // -1: data's
};

std::filesystem::path forge(const test::TempDir& dir, const std::vector<Forged>& entries) {
    auto file = dir / "forged.tar.zst";
    struct archive* a = archive_write_new();
    archive_write_set_format_pax(a);
    archive_write_add_filter_zstd(a);
    archive_write_open_filename(a, file.c_str());
    for (const auto& f : entries) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, f.path.c_str());
        archive_entry_set_filetype(e, f.type);
        archive_entry_set_perm(e, f.mode);
        if (f.type == AE_IFLNK)
            archive_entry_set_symlink(e, f.link.c_str());
        else if (!f.link.empty())
            archive_entry_set_hardlink(e, f.link.c_str());
        if (f.type == AE_IFREG && f.link.empty())
            archive_entry_set_size(e, f.size >= 0 ? f.size : std::ssize(f.data));
        archive_write_header(a, e);
        if (!f.data.empty())
            archive_write_data(a, f.data.data(), f.data.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return file;
}

// Every regular file beneath `dir`, for "nothing was written here".
std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec))
            out.push_back(it->path());
    return out;
}
} // namespace

TEST_CASE("links an archive makes cannot carry a later entry anywhere, whatever they add up to") {
    test::TempDir dir;
    auto root = dir / "cache/target";
    auto outside = dir / "cache";
    std::filesystem::create_directories(root);
    struct Case {
        const char* name;
        std::vector<Forged> entries;
    };
    // Each link alone points inside the root; together they lead out of it.
    const std::vector<Case> cases = {
        {"a link up, a link beneath it, a file through both",
         {{"sub/up", AE_IFLNK, "", ".."},
          {"sub/up/down", AE_IFLNK, "", ".."},
          {"sub/up/down/escaped", AE_IFREG, "bad"}}},
        {"a link to the root, then a link up from there",
         {{"here", AE_IFLNK, "", "."}, {"here/up", AE_IFLNK, "", ".."}, {"here/up/escaped"}}},
        {"a directory entry through a link",
         {{"sub/up", AE_IFLNK, "", ".."}, {"sub/up/madedir", AE_IFDIR}}},
        {"a hard link through a link",
         {{"f", AE_IFREG, "x"}, {"sub/up", AE_IFLNK, "", ".."}, {"sub/up/g", AE_IFREG, "", "f"}}},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        auto r = cache::unpack_tree(forge(dir, c.entries), root);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ExitCode::filesystem);
        CHECK(r.error().message.find("symbolic link") != std::string::npos);
        CHECK(files_in(outside).empty()); // the forged archive lies beside it, nothing within
        CHECK_FALSE(std::filesystem::exists(outside / "madedir"));
        CHECK(std::filesystem::is_empty(root));
    }
}

TEST_CASE("a link already in the root is never followed by an archive's entry") {
    test::TempDir dir;
    auto root = dir / "target";
    std::filesystem::create_directories(root);
    std::filesystem::create_directories(dir / "elsewhere");
    std::filesystem::create_directory_symlink(dir / "elsewhere", root / "debug");
    for (const auto& entries :
         {std::vector<Forged>{{"debug/deps/libx.rlib", AE_IFREG, "bad"}},
          std::vector<Forged>{{"debug/madedir", AE_IFDIR}},
          std::vector<Forged>{{"debug", AE_IFDIR}, {"debug/x", AE_IFREG, "1"}}}) {
        auto r = cache::unpack_tree(forge(dir, entries), root);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("symbolic link or a file is in the way") != std::string::npos);
        CHECK(std::filesystem::is_empty(dir / "elsewhere"));
    }
}

TEST_CASE("devices, FIFOs and setuid bits do not come out of a cache") {
    test::TempDir dir;
    auto root = dir / "target";
    for (unsigned type : {AE_IFIFO, AE_IFCHR, AE_IFBLK}) {
        auto r = cache::unpack_tree(forge(dir, {{"debug/thing", type}}), root);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("not a file, directory or link") != std::string::npos);
    }
    REQUIRE(cache::unpack_tree(forge(dir, {{"debug", AE_IFDIR, "", "", 02755},
                                           {"debug/tool", AE_IFREG, "#!/bin/sh\n", "", 06755}}),
                               root));
    struct stat st {};
    REQUIRE(::stat((root / "debug/tool").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    REQUIRE(::stat((root / "debug").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
}

TEST_CASE("an archive may not expand past its limit, nor one entry claim more than that") {
    test::TempDir dir;
    auto root = dir / "target";
    // 4 MiB of zeros compress to a few hundred bytes: far past 8 times the archive.
    auto bomb = forge(dir, {{"debug/zeros", AE_IFREG, std::string(4 << 20, '\0')}});
    CHECK(cache::expansion_limit(static_cast<std::int64_t>(std::filesystem::file_size(bomb)),
                                 root) < (4 << 20));
    auto r = cache::unpack_tree(bomb, root);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("claims") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(root / "debug/zeros"));

    // Many small entries that each fit, but not together.
    std::vector<Forged> many; // each 4 KiB of noise and 60 KiB that compress away: 16 to 1
    std::uint32_t x = 1;
    for (int i = 0; i < 64; ++i) {
        std::string data(64 << 10, 'a');
        for (std::size_t j = 0; j < 4096; ++j)
            data[j] = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
        many.push_back({fmt::format("debug/f{:02}", i), AE_IFREG, data});
    }
    auto together = forge(dir, many);
    const auto limit = cache::expansion_limit(
        static_cast<std::int64_t>(std::filesystem::file_size(together)), root);
    CHECK(limit > (64 << 10));
    CHECK(limit < (64 << 10) * 64);
    r = cache::unpack_tree(together, root);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("expands past") != std::string::npos);
    CHECK(files_in(root).empty());

    // An entry that claims a size far beyond what the archive holds (libarchive pads it with
    // zeros, which compress to nothing): refused before any memory is set aside for it.
    r = cache::unpack_tree(forge(dir, {{"debug/huge", AE_IFREG, "", "", 0644, 1 << 20}}), root);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("claims") != std::string::npos);
}

TEST_CASE("a packed tree comes back with contents, modes, links and nanosecond mtimes") {
    test::TempDir dir;
    auto src = dir / "src";
    REQUIRE(util::write_file_atomic(src / "release/deps/libserde-1.rlib", "rlib"));
    REQUIRE(util::write_file_atomic(src / "release/build/x/out/gen.rs", "gen"));
    ::chmod((src / "release/build/x/out/gen.rs").c_str(), 0755);
    std::filesystem::create_symlink("deps/libserde-1.rlib", src / "release/link");
    set_mtime(src / "release/deps/libserde-1.rlib", 1'600'000'000, 123'456'789);
    set_mtime(src / "release/deps", 1'600'000'001, 987'654'321);
    REQUIRE(cache::pack_tree(src, {"release"}, dir / "a.tar.zst"));

    auto dst = dir / "dst";
    REQUIRE(cache::unpack_tree(dir / "a.tar.zst", dst));
    CHECK(util::read_file(dst / "release/deps/libserde-1.rlib") == "rlib");
    auto t = mtime_of(dst / "release/deps/libserde-1.rlib");
    CHECK(t.tv_sec == 1'600'000'000);
    CHECK(t.tv_nsec == 123'456'789);
    auto d = mtime_of(dst / "release/deps");
    CHECK(d.tv_sec == 1'600'000'001);
    CHECK(d.tv_nsec == 987'654'321);
    struct stat st {};
    ::stat((dst / "release/build/x/out/gen.rs").c_str(), &st);
    CHECK((st.st_mode & 0777) == 0755);
    CHECK(std::filesystem::read_symlink(dst / "release/link") == "deps/libserde-1.rlib");
}

TEST_CASE("a file can be stored with another file's bytes under its own name, mode and mtime") {
    test::TempDir dir;
    auto src = dir / "src";
    REQUIRE(util::write_file_atomic(src / "debug/build/s-1/build-script-build", "with debug info"));
    ::chmod((src / "debug/build/s-1/build-script-build").c_str(), 0755);
    REQUIRE(::link((src / "debug/build/s-1/build-script-build").c_str(),
                   (src / "debug/build/s-1/build_script_build-1").c_str()) == 0);
    set_mtime(src / "debug/build/s-1/build-script-build", 1'600'000'000, 5);
    REQUIRE(util::write_file_atomic(dir / "stripped", "lean"));
    REQUIRE(cache::pack_tree(src, {"debug"}, dir / "a.tar.zst",
                             {{"debug/build/s-1/build-script-build", dir / "stripped"}}));

    auto dst = dir / "dst";
    REQUIRE(cache::unpack_tree(dir / "a.tar.zst", dst));
    CHECK(util::read_file(dst / "debug/build/s-1/build-script-build") == "lean");
    CHECK(util::read_file(dst / "debug/build/s-1/build_script_build-1") == "lean");
    CHECK(mtime_of(dst / "debug/build/s-1/build-script-build").tv_sec == 1'600'000'000);
    struct stat st {};
    ::stat((dst / "debug/build/s-1/build-script-build").c_str(), &st);
    CHECK((st.st_mode & 0777) == 0755);
    CHECK(util::read_file(src / "debug/build/s-1/build-script-build") == "with debug info");
}

TEST_CASE("archives that would write outside their root are refused and write nothing") {
    test::TempDir dir;
    auto root = dir / "target";
    std::filesystem::create_directories(root);
    struct Case {
        std::string path;
        const char* link;
        const char* why;
    };
    for (const auto& c :
         {Case{"../escape", nullptr, "'..'"}, Case{"/tmp/rcd-abs-escape", nullptr, "absolute"},
          Case{"release/evil", "/etc/passwd", "symbolic link"},
          Case{"release/evil2", "../../outside", "symbolic link"}}) {
        auto file = hostile(dir, c.path, c.link);
        auto r = cache::unpack_tree(file, root);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == ExitCode::filesystem);
        CHECK(r.error().message.find(c.why) != std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists(dir / "escape"));
    CHECK_FALSE(std::filesystem::exists("/tmp/rcd-abs-escape"));
    CHECK(std::filesystem::is_empty(root));
}

TEST_CASE("hard-linked names are stored once and come back linked; other hard links are refused") {
    test::TempDir dir;
    auto src = dir / "src";
    std::string data(64 * 1024, '\0');
    std::uint32_t x = 12345;
    for (auto& c : data) // incompressible, so a second copy would show in the size
        c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
    REQUIRE(util::write_file_atomic(src / "debug/build/s-1/build-script-build", data));
    REQUIRE(::link((src / "debug/build/s-1/build-script-build").c_str(),
                   (src / "debug/build/s-1/build_script_build-1").c_str()) == 0);
    REQUIRE(cache::pack_tree(src, {"debug"}, dir / "a.tar.zst"));
    CHECK(std::filesystem::file_size(dir / "a.tar.zst") < data.size() + 16 * 1024);

    auto dst = dir / "dst";
    for (int round = 0; round < 2; ++round) { // the second keeps the file and links again
        REQUIRE(cache::unpack_tree(dir / "a.tar.zst", dst));
        struct stat a {
        }, b{};
        ::stat((dst / "debug/build/s-1/build-script-build").c_str(), &a);
        ::stat((dst / "debug/build/s-1/build_script_build-1").c_str(), &b);
        CHECK(a.st_ino == b.st_ino);
        CHECK(util::read_file(dst / "debug/build/s-1/build_script_build-1") == data);
    }

    // A hard link naming something that is not an earlier file of the archive.
    auto file = dir / "hostile-link.tar.zst";
    struct archive* w = archive_write_new();
    archive_write_set_format_pax(w);
    archive_write_add_filter_zstd(w);
    archive_write_open_filename(w, file.c_str());
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "debug/passwd");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_hardlink(e, "etc/passwd");
    archive_write_header(w, e);
    archive_entry_free(e);
    archive_write_close(w);
    archive_write_free(w);
    auto root = dir / "target";
    auto refused = cache::unpack_tree(file, root);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("hard link") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(root / "debug/passwd"));
}

namespace {
// Copies `from` into `to` a piece at a time, as a download would, telling `growing`; then
// finishes it as `good`. With `restart`, starts over halfway.
void write_slowly(const std::filesystem::path& from, const std::filesystem::path& to,
                  util::GrowingFile& growing, bool good, bool restart = false) {
    auto data = util::read_file(from).value();
    int fd = ::open(to.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    growing.open(::dup(fd));
    std::size_t written = 0;
    for (std::size_t at = 0; at < data.size(); at += 4096) {
        auto piece = std::string_view(data).substr(at, 4096);
        util::write_all(fd, piece);
        written += piece.size();
        growing.grew(static_cast<std::int64_t>(written));
        if (restart && at == 4096 * 4) {
            restart = false;
            growing.restarted();
            ::ftruncate(fd, 0);
            ::lseek(fd, 0, SEEK_SET);
            written = 0;
            at = static_cast<std::size_t>(-4096); // the next piece is the first again
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ::close(fd);
    growing.finish(good);
}

// A tree of a few hundred kilobytes that does not compress away.
void make_tree(const std::filesystem::path& root) {
    std::string noise;
    unsigned x = 12345;
    for (int i = 0; i < 200'000; ++i) {
        x = x * 1103515245 + 12345;
        noise += static_cast<char>(x >> 24);
    }
    REQUIRE(util::write_file_atomic(root / "debug/deps/libbig-1.rlib", noise));
    REQUIRE(util::write_file_atomic(root / "debug/deps/libsmall-2.rmeta", "rmeta"));
}
} // namespace

TEST_CASE("an archive unpacks while it is still being written, and lands once the writer is done") {
    test::TempDir dir;
    make_tree(dir / "src");
    REQUIRE(cache::pack_tree(dir / "src", {"debug"}, dir / "a.tar.zst"));
    util::GrowingFile growing;
    std::thread writer([&] { write_slowly(dir / "a.tar.zst", dir / "download", growing, true); });
    auto unpacked = cache::unpack_tree(growing, file_size(dir / "a.tar.zst"), dir / "dst");
    writer.join();
    REQUIRE(unpacked);
    CHECK(util::read_file(dir / "dst/debug/deps/libbig-1.rlib").value() ==
          util::read_file(dir / "src/debug/deps/libbig-1.rlib").value());
    CHECK(util::read_file(dir / "dst/debug/deps/libsmall-2.rmeta") == "rmeta");
}

TEST_CASE("nothing lands from a download that failed its digest or started over") {
    test::TempDir dir;
    make_tree(dir / "src");
    REQUIRE(cache::pack_tree(dir / "src", {"debug"}, dir / "a.tar.zst"));
    const bool restart = GENERATE(false, true);
    util::GrowingFile growing;
    // Every byte arrives, and the tar is complete: only the writer's verdict says no.
    std::thread writer(
        [&] { write_slowly(dir / "a.tar.zst", dir / "download", growing, restart, restart); });
    auto unpacked = cache::unpack_tree(growing, file_size(dir / "a.tar.zst"), dir / "dst");
    writer.join();
    REQUIRE_FALSE(unpacked);
    CHECK(unpacked.error().message.find("the download failed or started over") !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "dst/debug/deps/libbig-1.rlib"));
    CHECK_FALSE(std::filesystem::exists(dir / "dst/debug/deps/libsmall-2.rmeta"));
}

TEST_CASE("files of every size come back whole, with their modes and mtimes, written on threads") {
    test::TempDir dir;
    auto src = dir / "src";
    // From empty to several of the writers' 64 KiB pieces, and one larger than all they queue.
    std::vector<std::size_t> sizes;
    for (std::size_t i = 0; i < 300; ++i)
        sizes.push_back(i * i * 7 % 300'000);
    sizes.push_back(65u << 20);
    auto content = [](std::size_t i, std::size_t size) {
        std::string data(size, '\0');
        for (std::size_t at = 0; at < size; ++at)
            data[at] = static_cast<char>('a' + (i + at / 4096) % 26);
        return data;
    };
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        auto path = src / fmt::format("debug/deps/d{}/f{}.rlib", i % 7, i);
        REQUIRE(util::write_file_atomic(path, content(i, sizes[i])));
        ::chmod(path.c_str(), i % 2 ? 0755 : 0644);
        set_mtime(path, 1'600'000'000 + static_cast<long>(i), static_cast<long>(i) * 1000 + 1);
    }
    REQUIRE(cache::pack_tree(src, {"debug"}, dir / "a.tar.zst"));

    auto dst = dir / "dst";
    // These letters compress far better than a build's files: the bound on expansion is raised.
    ::setenv("RCD_CACHE_MAX_EXPANSION", "100000", 1);
    auto unpacked = cache::unpack_tree(dir / "a.tar.zst", dst);
    ::unsetenv("RCD_CACHE_MAX_EXPANSION");
    INFO((unpacked ? "" : unpacked.error().message));
    REQUIRE(unpacked);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        INFO("file " << i << " of " << sizes[i] << " bytes");
        auto path = dst / fmt::format("debug/deps/d{}/f{}.rlib", i % 7, i);
        auto read = util::read_file(path);
        REQUIRE(read);
        CHECK(*read == content(i, sizes[i]));
        struct stat st {};
        ::stat(path.c_str(), &st);
        CHECK((st.st_mode & 0777) == (i % 2 ? 0755u : 0644u));
        CHECK(st.st_mtim.tv_sec == 1'600'000'000 + static_cast<long>(i));
        CHECK(st.st_mtim.tv_nsec == static_cast<long>(i) * 1000 + 1);
    }
}

TEST_CASE("a name an archive gives twice keeps its later bytes") {
    test::TempDir dir;
    auto file = crafted(dir, {{"debug/a", "first"}, {"debug/b", "b"}, {"debug/a", "second!"}});
    REQUIRE(cache::unpack_tree(file, dir / "dst"));
    CHECK(util::read_file(dir / "dst/debug/a") == "second!");
    CHECK(util::read_file(dir / "dst/debug/b") == "b");
}

TEST_CASE("a file that cannot be written stops the unpack, names the file, and nothing lands") {
    test::TempDir dir;
    // A file, then a file beneath it as if it were a directory.
    auto file = crafted(dir, {{"debug/a", "a"}, {"debug/x", "x"}, {"debug/x/y", "y"}});
    auto root = dir / "target";
    std::filesystem::create_directories(root);
    auto unpacked = cache::unpack_tree(file, root);
    REQUIRE_FALSE(unpacked);
    CHECK(unpacked.error().code == ExitCode::filesystem);
    CHECK_THAT(unpacked.error().message, Catch::Contains((root / "debug/x").string()));
    CHECK(std::filesystem::is_empty(root));
}
