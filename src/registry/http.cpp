#include "http.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <curl/curl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <openssl/evp.h>
#include <unistd.h>
#include <vector>

namespace rcd::registry::detail {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What arrives: headers and status of the response being received (a redirect is one too),
// and its body, for the sink when it succeeded.
struct Receiver {
    HttpResponse& response;
    const BodySink* sink;
    long status = 0;
    bool sink_refused = false;
    bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* r = static_cast<Receiver*>(user);
    if (r->sink && r->status >= 200 && r->status < 300) {
        if (r->sink->write(std::string_view(data, size * count)))
            return size * count;
        r->sink_refused = true;
        return 0; // curl stops with CURLE_WRITE_ERROR
    }
    // What is kept in memory is bounded: a manifest, an index or a token, or an error.
    const std::size_t limit = r->status >= 200 && r->status < 300 ? kMaxBody : kMaxErrorBody;
    if (r->response.body.size() + size * count > limit) {
        r->too_large = true;
        return 0;
    }
    r->response.body.append(data, size * count);
    return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* r = static_cast<Receiver*>(user);
    auto& headers = r->response.headers;
    std::string line(data, size * count);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        std::string value = line.substr(colon + 1);
        auto first = value.find_first_not_of(" \t");
        auto last = value.find_last_not_of(" \t\r\n");
        value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
        headers[name] = value;
    } else if (line.starts_with("HTTP/")) { // a new response begins: "HTTP/1.1 200 OK"
        headers.clear();
        auto space = line.find(' ');
        r->status = space == std::string::npos ? 0 : std::atol(line.c_str() + space + 1);
    }
    return size * count;
}

struct Upload {
    const Payload& body;
    std::int64_t offset = 0;
};

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
    auto* upload = static_cast<Upload*>(user);
    std::int64_t n =
        upload->body.read(upload->offset, buffer, static_cast<std::int64_t>(size * count));
    if (n < 0)
        return CURL_READFUNC_ABORT;
    upload->offset += n;
    return static_cast<size_t>(n);
}

// curl rewinds a body to send it again: over a fresh connection when a kept one turned out
// closed, or after a redirect.
int on_seek(void* user, curl_off_t offset, int origin) {
    auto* upload = static_cast<Upload*>(user);
    if (origin != SEEK_SET || offset < 0 || offset > upload->body.size())
        return CURL_SEEKFUNC_CANTSEEK;
    upload->offset = offset;
    return CURL_SEEKFUNC_OK;
}

// Uploads report what was sent; downloads what arrived.
int on_progress(void* user, curl_off_t down_total, curl_off_t down_now, curl_off_t up_total,
                curl_off_t up_now) {
    if (!user)
        return 0;
    if (up_total > 0)
        (*static_cast<const TransferProgress*>(user))(up_now, up_total);
    else if (down_total > 0)
        (*static_cast<const TransferProgress*>(user))(down_now, down_total);
    return 0;
}

// The system's CA bundle, decided once. libcurl knows only where its build machine kept it; a
// binary copied to another distribution (Fedora, Alpine, a CI image) finds its own. Nothing
// when there is none at all.
const std::optional<std::string>& system_ca_bundle(const char* built_in) {
    static const std::optional<std::string> bundle = [&]() -> std::optional<std::string> {
        std::error_code ec;
        if (const char* file = std::getenv("SSL_CERT_FILE"); file && *file)
            return std::string(file);
        if (built_in && std::filesystem::exists(built_in, ec))
            return std::string(built_in);
        for (const char* candidate :
             {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
              "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/ca-bundle.pem",
              "/etc/ssl/cert.pem"})
            if (std::filesystem::exists(candidate, ec))
                return std::string(candidate);
        return std::nullopt;
    }();
    return bundle;
}

// --ca-file adds a CA to the system's: both go to curl as one PEM blob.
const std::string& trusted_pem(const std::string& extra, const char* built_in) {
    static std::mutex mutex;
    static std::map<std::string, std::string> cache;
    std::lock_guard lock(mutex);
    auto [it, inserted] = cache.try_emplace(extra);
    if (inserted)
        for (const auto& file : {system_ca_bundle(built_in).value_or(""), extra}) {
            std::ifstream in(file, std::ios::binary);
            it->second += std::string(std::istreambuf_iterator<char>(in), {}) + "\n";
        }
    return it->second;
}

// DNS answers and TLS sessions, shared by every handle; connections are not (curl does not
// share them between threads), so each handle keeps its own.
CURLSH* shared_caches() {
    // Never destroyed: a request may still run while the process exits.
    static auto* locks = new std::mutex[CURL_LOCK_DATA_LAST];
    static CURLSH* share = [] {
        CURLSH* s = curl_share_init();
        curl_share_setopt(
            s, CURLSHOPT_LOCKFUNC,
            +[](CURL*, curl_lock_data data, curl_lock_access, void*) { locks[data].lock(); });
        curl_share_setopt(
            s, CURLSHOPT_UNLOCKFUNC,
            +[](CURL*, curl_lock_data data, void*) { locks[data].unlock(); });
        curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        return s;
    }();
    return share;
}

// Idle curl handles with their open connections. A request takes one (or a new one) and gives
// it back reset, its connections kept; a few are kept, the rest closed.
class HandlePool {
  public:
    struct Giver {
        void operator()(CURL* c) const { pool().give_back(c); }
    };
    using Handle = std::unique_ptr<CURL, Giver>;

    static HandlePool& pool() {
        static auto* instance = new HandlePool; // never destroyed, as shared_caches()
        return *instance;
    }
    Handle take() {
        {
            std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                CURL* c = idle_.back();
                idle_.pop_back();
                return Handle(c);
            }
        }
        CURL* c = curl_easy_init();
        return Handle(c);
    }

  private:
    static constexpr std::size_t kKept = 8;
    void give_back(CURL* c) {
        curl_easy_reset(c); // options go; connections, DNS and TLS sessions stay
        std::lock_guard lock(mutex_);
        if (idle_.size() < kKept) {
            idle_.push_back(c);
            return;
        }
        curl_easy_cleanup(c);
    }
    std::mutex mutex_;
    std::vector<CURL*> idle_;
};

struct ListDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

} // namespace

Payload Payload::file(int fd, std::int64_t offset, std::int64_t length) {
    Payload p;
    p.fd = fd;
    p.offset = offset;
    p.length = length;
    return p;
}

Payload Payload::slice(std::int64_t from, std::int64_t n) const {
    from = std::clamp<std::int64_t>(from, 0, length);
    n = std::clamp<std::int64_t>(n, 0, length - from);
    if (fd < 0)
        return Payload(memory.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(n)));
    return file(fd, offset + from, n);
}

std::int64_t Payload::read(std::int64_t at, char* to, std::int64_t n) const {
    n = std::clamp<std::int64_t>(n, 0, length - std::min(at, length));
    if (fd < 0) {
        std::copy_n(memory.data() + at, n, to);
        return n;
    }
    std::int64_t done = 0;
    while (done < n) {
        ssize_t got =
            ::pread(fd, to + done, static_cast<std::size_t>(n - done), offset + at + done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) // an error, or the file is shorter than promised
            return -1;
        done += got;
    }
    return done;
}

std::string HttpResponse::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
}

std::expected<HttpResponse, TransportError>
perform(const HttpRequest& request, const TlsOptions& tls, const TransferProgress* progress) {
    global_init();
    auto curl = HandlePool::pool().take();
    if (!curl)
        return std::unexpected(TransportError{CURLE_OUT_OF_MEMORY, "cannot start a request"});
    HttpResponse response;
    curl_slist* raw_headers = nullptr;
    for (const auto& h : request.headers)
        raw_headers = curl_slist_append(raw_headers, h.c_str());
    // No "Expect: 100-continue" pause before large bodies.
    raw_headers = curl_slist_append(raw_headers, "Expect:");
    std::unique_ptr<curl_slist, ListDeleter> headers(raw_headers);

    if (request.sink)
        request.sink->begin();
    Receiver receiver{response, request.sink};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_SHARE, shared_caches());
    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024); // fewer reads for large blobs
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &receiver);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &receiver);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); // perform_following decides
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    // A stalled transfer (under 1 byte/s for 30 s) fails rather than hangs, and so does one
    // that trickles past its deadline.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    if (request.deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *request.deadline - std::chrono::steady_clock::now());
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<long>(left.count(), 1)));
    }
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "rcd/0.1");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
    char* built_in = nullptr;
    curl_easy_getinfo(c, CURLINFO_CAINFO, &built_in);
    if (!tls.ca_file.empty()) {
        const std::string& pem = trusted_pem(tls.ca_file, built_in);
        curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_NOCOPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    } else if (const auto& bundle = system_ca_bundle(built_in)) {
        curl_easy_setopt(c, CURLOPT_CAINFO, bundle->c_str());
    } else {
        // No CA bundle on this machine: every certificate is then untrusted, but a handshake
        // still happens, so a plain HTTP port is still told from a TLS one.
        curl_easy_setopt(c, CURLOPT_CAINFO, nullptr);
        curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
    }

    Upload upload{request.body};
    if (request.method == "HEAD") {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT" || request.method == "PATCH" || request.method == "POST") {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &upload);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, &upload);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (progress) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, progress);
    }

    char detail[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        TransportError error{static_cast<int>(rc), *detail ? detail : curl_easy_strerror(rc), false,
                             false};
        error.tls_untrusted =
            rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE;
        error.tls_mismatch = rc == CURLE_SSL_CONNECT_ERROR;
        error.sink_refused = receiver.sink_refused;
        error.unresolvable = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY;
        error.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        error.too_large = receiver.too_large;
        if (error.too_large)
            error.message =
                fmt::format("its answer (HTTP {}) is larger than {} bytes", receiver.status,
                            receiver.status < 300 ? kMaxBody : kMaxErrorBody);
        return std::unexpected(error);
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    long connects = 0;
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    response.new_connection = connects > 0;
    return response;
}

std::expected<HttpResponse, TransportError>
perform_following(HttpRequest request, const std::string& authorization,
                  const std::function<bool(const std::string&)>& may_carry, const TlsOptions& tls,
                  const TransferProgress* progress) {
    const auto plain_headers = request.headers;
    for (int hop = 0;; ++hop) {
        request.headers = plain_headers;
        if (!authorization.empty() && may_carry(request.url))
            request.headers.push_back(authorization);
        auto response = perform(request, tls, progress);
        if (!response)
            return response;
        const long status = response->status;
        const auto location = response->header("location");
        if (hop >= 5 || location.empty() ||
            (status != 301 && status != 302 && status != 303 && status != 307 && status != 308))
            return response;
        request.url = resolve_url(request.url, location);
        if (status == 303 || (status != 307 && status != 308 && request.method == "POST")) {
            request.method = "GET"; // as curl and browsers do
            request.body = {};
        }
    }
}

Origin origin_of(std::string_view url) {
    Origin o;
    auto sep = url.find("://");
    if (sep == std::string_view::npos)
        return o;
    o.scheme = std::string(url.substr(0, sep));
    std::transform(o.scheme.begin(), o.scheme.end(), o.scheme.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    auto rest = url.substr(sep + 3);
    auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    std::string_view port;
    if (authority.starts_with("[")) { // [::1]:5000
        auto close = authority.find(']');
        o.host =
            std::string(authority.substr(0, close == std::string_view::npos ? close : close + 1));
        if (close != std::string_view::npos && close + 1 < authority.size() &&
            authority[close + 1] == ':')
            port = authority.substr(close + 2);
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        o.host = std::string(authority.substr(0, colon));
        port = authority.substr(colon + 1);
    } else {
        o.host = std::string(authority);
    }
    std::transform(o.host.begin(), o.host.end(), o.host.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    o.port = o.scheme == "https" ? 443 : o.scheme == "http" ? 80 : 0;
    if (!port.empty()) {
        int value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        o.port = ec == std::errc() && end == port.data() + port.size() ? value : -1;
    }
    return o;
}

std::string resolve_url(const std::string& base, const std::string& location) {
    if (origin_of(location).scheme == "http" || origin_of(location).scheme == "https")
        return location;
    auto sep = base.find("://");
    auto path_start = sep == std::string::npos ? base.size() : base.find('/', sep + 3);
    std::string root = base.substr(0, path_start); // scheme://authority
    if (location.starts_with("//"))
        return base.substr(0, sep + 1) + location;
    if (location.starts_with("/"))
        return root + location;
    std::string path = path_start == std::string::npos ? "/" : base.substr(path_start);
    path = path.substr(0, path.find_first_of("?#"));
    return root + path.substr(0, path.rfind('/') + 1) + location;
}

std::string printable_url(std::string_view url) {
    std::string out(url.substr(0, url.find_first_of("?#")));
    auto sep = out.find("://");
    auto start = sep == std::string::npos ? 0 : sep + 3;
    auto end = out.find('/', start);
    auto at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start)
        out.erase(start, at + 1 - start);
    return out;
}

// WWW-Authenticate: Bearer realm="https://auth/token",service="registry",scope="..."
std::map<std::string, std::string> parse_challenge(const std::string& header) {
    std::map<std::string, std::string> out;
    auto space = header.find(' ');
    out["scheme"] = header.substr(0, space);
    std::size_t i = space == std::string::npos ? header.size() : space + 1;
    while (i < header.size()) {
        auto eq = header.find('=', i);
        if (eq == std::string::npos)
            break;
        std::string key = header.substr(i, eq - i);
        key.erase(0, key.find_first_not_of(" ,"));
        std::string value;
        std::size_t j = eq + 1;
        if (j < header.size() && header[j] == '"') {
            auto close = header.find('"', j + 1);
            value = header.substr(j + 1, close - j - 1);
            j = close == std::string::npos ? header.size() : close + 1;
        } else {
            auto comma = header.find(',', j);
            value = header.substr(j, comma - j);
            j = comma == std::string::npos ? header.size() : comma;
        }
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        out[key] = value;
        i = j + 1;
    }
    return out;
}

std::string base64(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()),
                            static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string url_escape(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            out += static_cast<char>(c);
        else {
            static const char* hex = "0123456789ABCDEF";
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

} // namespace rcd::registry::detail
