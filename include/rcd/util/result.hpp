// Errors as values: every fallible function in rcd returns Result<T>.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace rcd {

// The process exit codes rcd documents (docs/cli.md), one per kind of failure.
enum class ExitCode : int {
    ok = 0,
    stage_failed = 1,
    usage = 2,
    repository = 3,
    registry = 4,
    filesystem = 5,
    interrupted = 130,
};

struct Error {
    ExitCode code = ExitCode::usage;
    std::string message; // what failed
    std::string hint;    // what to do about it; may be empty

    // Prefixes the message with where it happened, keeping code and hint.
    Error with_context(const std::string& context) const& {
        return Error{code, context + ": " + message, hint};
    }
};

template <typename T> using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ExitCode code, std::string message, std::string hint = {}) {
    return std::unexpected(Error{code, std::move(message), std::move(hint)});
}

} // namespace rcd

// Early return of a failed Result: RCD_ASSIGN(auto x, f()); RCD_ASSIGN(obj.field, f());
#define RCD_CONCAT_INNER(a, b) a##b
#define RCD_CONCAT(a, b) RCD_CONCAT_INNER(a, b)
#define RCD_ASSIGN_IMPL(tmp, lhs, expr)                                                            \
    auto tmp = (expr);                                                                             \
    if (!tmp)                                                                                      \
        return std::unexpected(std::move(tmp).error());                                            \
    lhs = std::move(*tmp)
#define RCD_ASSIGN(lhs, expr) RCD_ASSIGN_IMPL(RCD_CONCAT(rcd_result_, __LINE__), lhs, expr)
#define RCD_CHECK(expr)                                                                            \
    do {                                                                                           \
        auto rcd_status = (expr);                                                                  \
        if (!rcd_status)                                                                           \
            return std::unexpected(std::move(rcd_status).error());                                 \
    } while (0)
