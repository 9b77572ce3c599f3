// A real registry (CNCF distribution) on a free loopback port for one test, stopped by PID.
#pragma once

#include "rcd/exec/process.hpp"
#include "rcd/registry/client.hpp"
#include "rcd/util/fs.hpp"
#include "temp_dir.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <chrono>
#include <fmt/format.h>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace rcd::test {

class RegistryServer {
  public:
    RegistryServer() {
        port_ = free_port();
        auto config = fmt::format(
            "version: 0.1\nlog: {{level: error, accesslog: {{disabled: true}}}}\n"
            "storage: {{filesystem: {{rootdirectory: {}/data}}, delete: {{enabled: true}}}}\n"
            "http: {{addr: 127.0.0.1:{}}}\n",
            dir_.path.string(), port_);
        if (!util::write_file_atomic(dir_ / "config.yml", config))
            return;
        auto process = exec::Process::spawn(exec::Command{
            {"docker-registry", "serve", (dir_ / "config.yml").string()}, {}, {}, std::nullopt});
        if (!process)
            return;
        process_.emplace(std::move(*process));
        for (int i = 0; i < 100 && !accepts(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    bool running() const { return process_.has_value() && accepts(); }
    std::string address() const { return fmt::format("127.0.0.1:{}", port_); }
    // Where the registry keeps a blob's bytes, for tests that damage them.
    std::filesystem::path blob_file(const std::string& digest) const {
        auto hex = digest.substr(digest.find(':') + 1);
        return dir_.path / "data/docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
    }

  private:
    static int free_port() {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        ::close(fd);
        return ntohs(addr.sin_port);
    }

    bool accepts() const {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port_));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        ::close(fd);
        return ok;
    }

    TempDir dir_;
    int port_ = 0;
    std::optional<exec::Process> process_; // its destructor kills the registry's group
};

// A running registry, a client connected to it, and a scratch directory.
struct RegistryFixture {
    RegistryServer server;
    TempDir dir;
    std::shared_ptr<registry::Client> client;

    RegistryFixture() {
        REQUIRE(server.running()); // scripts/install-deps.sh installs docker-registry
        auto connected = registry::Client::connect(server.address(), std::nullopt, {});
        REQUIRE(connected);
        client = *connected;
    }
};

} // namespace rcd::test
