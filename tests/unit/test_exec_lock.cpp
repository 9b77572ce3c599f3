#include "rcd/exec/lock.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <sys/wait.h>
#include <unistd.h>

using namespace rcd;

TEST_CASE("a second holder fails at once without waiting, naming the first") {
    test::TempDir dir_scratch;
    const std::filesystem::path& dir = dir_scratch.path;
    auto lock_file = dir / "rcd" / "lock";
    auto first = exec::DirectoryLock::acquire(lock_file, false, [](long) {});
    REQUIRE(first);
    // flock locks belong to open file descriptions, so a second open in this process conflicts.
    auto second = exec::DirectoryLock::acquire(lock_file, false, [](long) {});
    REQUIRE_FALSE(second);
    CHECK(second.error().code == ExitCode::filesystem);
    CHECK(second.error().message ==
          "another rcd (pid " + std::to_string(::getpid()) + ") is using \"" + dir.string() + "\"");
}

TEST_CASE("a waiting holder is told who it waits for and gets the lock when it is free") {
    test::TempDir dir_scratch;
    const std::filesystem::path& dir = dir_scratch.path;
    auto lock_file = dir / "lock";
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t child = ::fork();
    if (child == 0) {
        auto lock = exec::DirectoryLock::acquire(lock_file, false, [](long) {});
        char byte = lock ? 'y' : 'n';
        [[maybe_unused]] auto n = ::write(ready[1], &byte, 1);
        ::usleep(300'000);
        ::_exit(0);
    }
    char byte = 0;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    REQUIRE(byte == 'y');
    long told = -1;
    auto lock = exec::DirectoryLock::acquire(lock_file, true, [&](long pid) { told = pid; });
    CHECK(lock.has_value());
    CHECK(told == child);
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
}
