// The channel behind rcd::log: one spdlog logger, always at debug, with two fixed sinks (the
// terminal's, and a distributing sink that holds the run's log file once it is opened), so that
// no sink list ever changes while another thread logs.
#include "rcd/util/log.hpp"

#include <mutex>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/version.h>
#include <vector>

namespace rcd::log {

namespace {

spdlog::level::level_enum to_spdlog(Level level) {
    switch (level) {
    case Level::debug:
        return spdlog::level::debug;
    case Level::info:
        return spdlog::level::info;
    case Level::warn:
        break;
    }
    return spdlog::level::warn;
}

Level from_spdlog(spdlog::level::level_enum level) {
    if (level <= spdlog::level::debug)
        return Level::debug;
    return level == spdlog::level::info ? Level::info : Level::warn;
}

// Hands each line, unformatted, to the terminal reporter of the running command.
class Terminal final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    void set(TerminalSink next) {
        std::lock_guard lock(mutex_);
        sink_ = std::move(next);
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (sink_)
            sink_(from_spdlog(msg.level), std::string(msg.payload.data(), msg.payload.size()));
    }
    void flush_() override {}

  private:
    TerminalSink sink_;
};

struct Channel {
    std::shared_ptr<Terminal> terminal = std::make_shared<Terminal>();
    std::shared_ptr<spdlog::sinks::dist_sink_mt> files =
        std::make_shared<spdlog::sinks::dist_sink_mt>();
    spdlog::logger logger{"rcd", {terminal, files}};
    std::mutex secrets_mutex;
    std::vector<std::string> secrets;

    Channel() {
        logger.set_level(spdlog::level::debug);
        // A line reaches the file before rcd goes on: a crash or a kill loses none.
        logger.flush_on(spdlog::level::debug);
    }
};

Channel& channel() {
    static Channel* instance = new Channel(); // never destroyed: threads may log during exit
    return *instance;
}

} // namespace

std::string masked(std::string_view message) {
    auto& c = channel();
    std::string text(message);
    std::lock_guard lock(c.secrets_mutex);
    for (const auto& secret : c.secrets)
        for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
            text.replace(at, secret.size(), "***");
    return text;
}

std::string library_version() {
    return fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH);
}

void write(Level level, std::string_view message) {
    channel().logger.log(to_spdlog(level), masked(message));
}

void add_secret(std::string secret) {
    if (secret.size() < 4)
        return;
    auto& c = channel();
    std::lock_guard lock(c.secrets_mutex);
    for (const auto& known : c.secrets)
        if (known == secret)
            return;
    c.secrets.push_back(std::move(secret));
}

Status open_file(const std::filesystem::path& file) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    try {
        auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file.string(),
                                                                           4 * 1024 * 1024, 3);
        sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e %P %-5l %v");
        channel().files->set_sinks({sink});
    } catch (const spdlog::spdlog_ex& e) {
        return fail(ExitCode::filesystem,
                    fmt::format("cannot write the log {}: {}", file.string(), e.what()),
                    "check that the target directory is writable");
    }
    return {};
}

void close_file() {
    channel().files->set_sinks({});
}

TerminalScope::TerminalScope(TerminalSink sink) {
    channel().terminal->set(std::move(sink));
}

TerminalScope::~TerminalScope() {
    channel().terminal->set({});
}

} // namespace rcd::log
