#include "rcd/image/filesystem.hpp"

#include <catch2/catch.hpp>

using namespace rcd;
using namespace rcd::image;
using Type = util::TarListing::Type;

namespace {
util::TarListing file(const std::string& path) {
    return {path, Type::file, ""};
}
util::TarListing dir(const std::string& path) {
    return {path, Type::directory, ""};
}
util::TarListing soft_link(const std::string& path, const std::string& target) {
    return {path, Type::symlink, target};
}

// A usr-merged Debian-like base: /lib -> usr/lib, /lib64/ld-linux... absolute into /lib.
FileTree debian_like() {
    FileTree tree;
    tree.apply(
        {dir("./"), dir("./usr/"), dir("./usr/lib/"), dir("./usr/lib/x86_64-linux-gnu/"),
         file("./usr/lib/x86_64-linux-gnu/libc.so.6"),
         file("./usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"), soft_link("./lib", "usr/lib"),
         dir("./lib64/"),
         soft_link("./lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")});
    return tree;
}

ExecutableInfo dynamic_binary() {
    ExecutableInfo info;
    info.interpreter = "/lib64/ld-linux-x86-64.so.2";
    info.needed = {"libc.so.6"};
    info.multiarch = "x86_64-linux-gnu";
    return info;
}
} // namespace

TEST_CASE("paths resolve through relative and absolute links, as the kernel follows them") {
    auto tree = debian_like();
    CHECK(tree.resolve("/lib64/ld-linux-x86-64.so.2") ==
          "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    CHECK(tree.exists("/lib/x86_64-linux-gnu/libc.so.6"));
    CHECK(tree.exists("lib/../usr/lib/x86_64-linux-gnu/libc.so.6"));
    CHECK_FALSE(tree.exists("/lib/x86_64-linux-gnu/libssl.so.3"));
    CHECK_FALSE(tree.exists("/usr/lib/x86_64-linux-gnu/libc.so.6/x")); // a file is no directory
}

TEST_CASE("a link loop or a dangling link does not exist") {
    FileTree tree;
    tree.apply({soft_link("a", "b"), soft_link("b", "a"), soft_link("dangling", "/nowhere")});
    CHECK_FALSE(tree.exists("/a"));
    CHECK_FALSE(tree.exists("/dangling"));
}

TEST_CASE("links cannot climb out of the image's root") {
    FileTree tree;
    tree.apply({file("etc/passwd"), soft_link("usr/up", "../../../../etc")});
    CHECK(tree.resolve("/usr/up/passwd") == "/etc/passwd");
}

TEST_CASE("whiteouts in a later layer remove what earlier layers put there") {
    auto tree = debian_like();
    tree.apply({file("usr/lib/x86_64-linux-gnu/.wh.libc.so.6")});
    CHECK_FALSE(tree.exists("/lib/x86_64-linux-gnu/libc.so.6"));
    CHECK(tree.exists("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
    tree.apply(
        {file("usr/lib/x86_64-linux-gnu/.wh..wh..opq"), file("usr/lib/x86_64-linux-gnu/new")});
    CHECK_FALSE(tree.exists("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
    CHECK(tree.exists("/lib/x86_64-linux-gnu/new"));
}

TEST_CASE("a dynamic binary on scratch misses its interpreter and its libraries") {
    FileTree scratch;
    scratch.apply({file("usr/local/bin/app")});
    auto missing = missing_at_start(dynamic_binary(), "/usr/local/bin/app", scratch, {});
    REQUIRE(missing.size() == 2);
    CHECK(missing[0].name == "/lib64/ld-linux-x86-64.so.2");
    CHECK(missing[0].role == "its interpreter");
    CHECK(missing[1].name == "libc.so.6");
    CHECK(std::find(missing[1].looked_in.begin(), missing[1].looked_in.end(),
                    "/usr/lib/x86_64-linux-gnu") != missing[1].looked_in.end());
}

TEST_CASE("a base with the C library starts a dynamic binary; a static one needs nothing") {
    CHECK(missing_at_start(dynamic_binary(), "/usr/local/bin/app", debian_like(), {}).empty());
    CHECK(missing_at_start(ExecutableInfo{}, "/usr/local/bin/app", FileTree{}, {}).empty());
}

TEST_CASE("libraries are found through $ORIGIN run paths and LD_LIBRARY_PATH") {
    auto tree = debian_like();
    tree.apply({file("opt/app/lib/libssl.so.3"), file("usr/local/bin/app"),
                file("usr/local/lib64/libextra.so")});
    auto info = dynamic_binary();
    info.needed = {"libc.so.6", "libssl.so.3", "libextra.so"};
    info.runpath = {"$ORIGIN/../../../opt/app/lib"};
    auto missing = missing_at_start(info, "/usr/local/bin/app", tree, {});
    REQUIRE(missing.size() == 1);
    CHECK(missing[0].name == "libextra.so");
    CHECK(missing_at_start(info, "/usr/local/bin/app", tree,
                           {"PATH=/bin", "LD_LIBRARY_PATH=/usr/local/lib64"})
              .empty());
}
