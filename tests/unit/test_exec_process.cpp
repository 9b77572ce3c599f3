#include "rcd/exec/process.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

using namespace rcd;

TEST_CASE("a child never sees rcd's registry credentials, whoever set them") {
    ::setenv("RCD_REGISTRY_USERNAME", "deployer", 1);
    ::setenv("RCD_REGISTRY_PASSWORD", "s3cret-value", 1);
    ::setenv("RCD_UNRELATED", "kept", 1);
    // A stage's own env: cannot hand them back either.
    auto captured = exec::capture(exec::Command{
        {"sh", "-c", "env"}, {{"RCD_REGISTRY_PASSWORD", "from-a-stage"}}, {}, std::nullopt});
    ::unsetenv("RCD_REGISTRY_USERNAME");
    ::unsetenv("RCD_REGISTRY_PASSWORD");
    ::unsetenv("RCD_UNRELATED");
    REQUIRE(captured);
    CHECK(captured->exit_code == 0);
    CHECK(captured->output.find("RCD_UNRELATED=kept") != std::string::npos);
    CHECK(captured->output.find("RCD_REGISTRY_USERNAME") == std::string::npos);
    CHECK(captured->output.find("RCD_REGISTRY_PASSWORD") == std::string::npos);
    CHECK(captured->output.find("s3cret-value") == std::string::npos);
    CHECK_FALSE(exec::child_environment({}).contains("RCD_REGISTRY_PASSWORD"));
}

TEST_CASE("a child inherits only its standard streams, not a descriptor left open by rcd") {
    // As a kept registry connection, or a library's descriptor opened without O_CLOEXEC.
    int fd = ::open("/dev/null", O_RDONLY);
    REQUIRE(fd >= 3);
    auto script = fmt::format("test -e /proc/$$/fd/{} && echo inherited || echo closed", fd);
    auto captured = exec::capture(exec::Command{{"sh", "-c", script}, {}, {}, std::nullopt});
    ::close(fd);
    REQUIRE(captured);
    CHECK(captured->output == "closed\n");
}

TEST_CASE("a child's stdout may go to a file while its stderr stays on the pipe") {
    char dir[] = "/tmp/rcd-stdout-XXXXXX";
    REQUIRE(::mkdtemp(dir));
    const std::string file = std::string(dir) + "/out.json";
    exec::Command command{
        {"sh", "-c", "echo document; echo for-people >&2"}, {}, "/", std::nullopt};
    auto process = exec::Process::spawn(command, std::filesystem::path(file));
    REQUIRE(process);
    std::string output;
    for (bool open = true; open;) {
        pollfd ready{process->output_fd(), POLLIN, 0};
        ::poll(&ready, 1, 1000);
        output += process->read_available(open);
    }
    CHECK(process->wait() == 0);
    CHECK(output == "for-people\n");
    char buffer[64] = {};
    int fd = ::open(file.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    auto n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    CHECK(std::string(buffer, n > 0 ? static_cast<std::size_t>(n) : 0) == "document\n");
    ::unlink(file.c_str());
    ::rmdir(dir);
}
