// One HTTP exchange over libcurl. curl's types stay in http.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::registry::detail {

// Where the body of a successful (2xx) response goes instead of HttpResponse::body, so that a
// large blob streams to disk rather than into memory.
struct BodySink {
    std::function<void()> begin;                 // before each exchange: start over
    std::function<bool(std::string_view)> write; // false stops the transfer
    std::int64_t expected = 0;                   // bytes it should get, for the deadline
};

// What a request sends: bytes in memory, or `length` bytes of an open file from `offset`, read
// as curl asks for them, so that a large blob is never held in memory whole.
struct Payload {
    std::string_view memory;
    int fd = -1;
    std::int64_t offset = 0;
    std::int64_t length = 0;

    Payload() = default;
    Payload(std::string_view bytes) // NOLINT: bytes in memory are the usual payload
        : memory(bytes), length(static_cast<std::int64_t>(bytes.size())) {}
    static Payload file(int fd, std::int64_t offset, std::int64_t length);
    std::int64_t size() const { return length; }
    // `n` bytes from `from`, fewer at the end.
    Payload slice(std::int64_t from, std::int64_t n) const;
    // Copies up to `n` bytes from `at` into `to`; how many, or -1 on a read error.
    std::int64_t read(std::int64_t at, char* to, std::int64_t n) const;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    Payload body;
    const BodySink* sink = nullptr;
    // When the whole exchange must be over, or none; besides, a connection must open within
    // 10 s and no 30 s may pass without a byte.
    std::optional<std::chrono::steady_clock::time_point> deadline;
};

// The most a body kept in memory may hold: a manifest, an index, a tag list or a token; and
// an error's.
inline constexpr std::size_t kMaxBody = 4 << 20;
inline constexpr std::size_t kMaxErrorBody = 64 << 10;

struct HttpResponse {
    long status = 0;
    std::map<std::string, std::string> headers; // names in lower case
    std::string body;
    bool new_connection = false; // false: it went over a connection kept from before

    std::string header(const std::string& name) const;
};

struct TransportError {
    int code = 0; // curl's
    std::string message;
    bool tls_untrusted = false; // the server's certificate did not verify
    bool tls_mismatch = false;  // the server does not speak TLS
    bool sink_refused = false;  // the body sink could not take the data: not worth a retry
    bool unresolvable = false;  // the host name does not resolve: not worth a retry either
    bool timed_out = false;     // the deadline passed, or no byte came for 30 s
    bool too_large = false;     // a body kept in memory passed its bound: never retried
};

struct TlsOptions {
    bool verify = true;
    std::string ca_file;
};

// Called with (bytes so far, bytes in all) while a body uploads, or else downloads.
using TransferProgress = std::function<void(std::int64_t, std::int64_t)>;

// One exchange; connections (and TLS sessions) are kept between exchanges, in a pool of curl
// handles that each serve one thread at a time. A redirect is returned as it is, never followed
// here (the caller decides which headers the next host may see).
std::expected<HttpResponse, TransportError> perform(const HttpRequest& request,
                                                    const TlsOptions& tls,
                                                    const TransferProgress* progress = nullptr);

// perform(), following up to 5 redirects. `authorization` (a whole header, or empty) goes only
// to the URLs `may_carry` accepts: the first and each one redirected to.
std::expected<HttpResponse, TransportError>
perform_following(HttpRequest request, const std::string& authorization,
                  const std::function<bool(const std::string&)>& may_carry, const TlsOptions& tls,
                  const TransferProgress* progress = nullptr);

// Where a URL points: its scheme, its host in lower case, and its port (the scheme's default
// when none is given). Userinfo is not part of it.
struct Origin {
    std::string scheme;
    std::string host;
    int port = 0;
    bool operator==(const Origin&) const = default;
};
Origin origin_of(std::string_view url);

// `location` (a Location header: absolute, or relative to `base`) as an absolute URL.
std::string resolve_url(const std::string& base, const std::string& location);

// `url` without userinfo and without its query string: fit to print.
std::string printable_url(std::string_view url);

// A WWW-Authenticate header's scheme (as "scheme") and its parameters, names in lower case:
// Bearer realm="https://auth/token",service="registry",scope="..."
std::map<std::string, std::string> parse_challenge(const std::string& header);

std::string base64(std::string_view data);
std::string url_escape(std::string_view text);

} // namespace rcd::registry::detail
