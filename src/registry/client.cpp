#include "rcd/registry/client.hpp"

#include "http.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/growing_file.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <nlohmann/json.hpp>
#include <random>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace rcd::registry {

using detail::HttpRequest;
using detail::HttpResponse;

struct Client::Response : HttpResponse {};

namespace {

// Every manifest type rcd reads; distribution answers 404 to an OCI manifest without it.
const std::string kAcceptManifests =
    fmt::format("Accept: {}, {}, {}, {}", image::kOciManifest, image::kOciIndex,
                image::kDockerManifest, image::kDockerManifestList);

bool retryable_status(long status) {
    return status == 408 || status == 429 || status >= 500;
}

// The registry's own words, from its JSON error body, made safe for a terminal.
std::string error_text(long status, const std::string& body) {
    auto doc = nlohmann::json::parse(body, nullptr, false);
    std::vector<std::string> parts;
    if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array())
        for (const auto& e : doc["errors"]) {
            if (!e.is_object())
                continue;
            auto field = [&](const char* name, const char* fallback) {
                auto it = e.find(name);
                return it != e.end() && it->is_string() ? it->get<std::string>() : fallback;
            };
            parts.push_back(fmt::format("{}: {}", util::printable(field("code", "ERROR"), 80),
                                        util::printable(field("message", ""), 200)));
        }
    if (!parts.empty())
        return fmt::format("HTTP {} {}", status, fmt::join(parts, "; "));
    std::string trimmed = util::trim(body.substr(0, 200));
    return trimmed.empty() ? fmt::format("HTTP {}", status)
                           : fmt::format("HTTP {}: {}", status, util::printable(trimmed, 200));
}

std::chrono::milliseconds backoff(int attempt, std::chrono::milliseconds base,
                                  const std::string& retry_after) {
    static thread_local std::mt19937 rng(std::random_device{}());
    auto delay = base * (1 << std::min(attempt, 6));
    delay += std::chrono::milliseconds(
        std::uniform_int_distribution<int>(0, static_cast<int>(base.count()))(rng));
    // Retry-After in seconds (an HTTP date, or anything else, is ignored), at most a minute.
    long long seconds = 0;
    if (auto [end, ec] =
            std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
        !retry_after.empty() && end == retry_after.data() + retry_after.size() &&
        (ec == std::errc() || ec == std::errc::result_out_of_range))
        delay = std::max(delay, std::chrono::milliseconds(
                                    std::min(ec == std::errc() ? seconds : 60LL, 60LL) * 1000));
    return std::min(delay, std::chrono::milliseconds(60'000));
}

std::string repo_scope(const std::string& repo, const char* actions) {
    return fmt::format("repository:{}:{}", repo, actions);
}

} // namespace

Client::Client(std::string registry, std::string base_url, std::optional<Credentials> credentials,
               RegistryOptions options)
    : registry_(std::move(registry)), base_url_(std::move(base_url)),
      credentials_(std::move(credentials)), options_(std::move(options)) {}

std::string Client::url(const std::string& path) const {
    if (path.starts_with("http://") || path.starts_with("https://"))
        return path;
    return base_url_ + path;
}

Error Client::digest_mismatch(const std::string& digest) const {
    return Error{ExitCode::registry,
                 fmt::format("registry {}: blob {} does not match its digest", registry_, digest),
                 "the registry's storage may be corrupt; push it again"};
}

Error Client::registry_error(const std::string& what, long status, const std::string& body) const {
    std::string hint = "check the registry's address and state, then run again";
    if (status == 401 || status == 403)
        hint = fmt::format("check the credentials for {} (docker login {}, or "
                           "RCD_REGISTRY_USERNAME/RCD_REGISTRY_PASSWORD)",
                           registry_, registry_);
    return Error{ExitCode::registry,
                 fmt::format("registry {}: {}: {}", registry_, what, error_text(status, body)),
                 hint};
}

Result<std::shared_ptr<Client>> Client::connect(const std::string& registry,
                                                std::optional<Credentials> credentials,
                                                RegistryOptions options) {
    const std::string host = api_host(registry);
    std::string base_url = "https://" + host;
    // Like docker: HTTPS first; plain HTTP only for a loopback registry (or with --insecure)
    // whose port does not speak TLS at all. An untrusted certificate is never downgraded.
    if (is_loopback(registry) || options.insecure) {
        detail::TlsOptions tls{!options.insecure, options.ca_file};
        auto probe =
            detail::perform(HttpRequest{"GET",
                                        base_url + "/v2/",
                                        {},
                                        {},
                                        nullptr,
                                        std::chrono::steady_clock::now() + options.deadline},
                            tls);
        if (!probe && probe.error().timed_out) // it accepts connections but does not answer
            return fail(ExitCode::registry,
                        fmt::format("no timely answer from registry {} (GET /v2/): {}", registry,
                                    probe.error().message),
                        "the registry accepts connections but does not answer in time; check "
                        "its health and the network");
        if (!probe && probe.error().tls_mismatch) {
            base_url = "http://" + host;
            log::debug("registry {} does not speak TLS; using plain HTTP", registry);
        }
    }
    auto client = std::make_shared<Client>(registry, base_url, credentials, options);
    RCD_ASSIGN(auto ping, client->send("GET", "/v2/", {}, {}, ""));
    // A 401 here comes after rcd answered the challenge: the credentials were refused.
    if (ping.status != 200)
        return std::unexpected(client->registry_error(
            ping.status == 401 ? "credentials refused" : "GET /v2/", ping.status, ping.body));
    return client;
}

// The registry's own origin, and over plain HTTP only on loopback: an upload Location or a
// redirect to another host (storage, a CDN) gets no Authorization header.
bool Client::may_carry_credentials(const std::string& to) const {
    const auto origin = detail::origin_of(to);
    return origin == detail::origin_of(base_url_) &&
           (origin.scheme == "https" || is_loopback(origin.host));
}

// Basic credentials go to a token service on the registry's own host (over plain HTTP only on
// loopback), or over HTTPS to a host the user named: auth.docker.io for Docker Hub, and those
// in RCD_REGISTRY_AUTH_HOSTS (comma-separated).
bool Client::realm_may_get_basic(const std::string& realm) const {
    const auto origin = detail::origin_of(realm);
    const auto own = detail::origin_of(base_url_);
    if (origin.host == own.host)
        return origin.scheme == "https" || is_loopback(origin.host);
    if (origin.scheme != "https")
        return false;
    if (own.host == "registry-1.docker.io" && origin.host == "auth.docker.io")
        return true;
    const char* named = std::getenv("RCD_REGISTRY_AUTH_HOSTS");
    for (const auto& host : util::split(named ? named : "", ','))
        if (util::trim(host) == origin.host)
            return true;
    return false;
}

std::string Client::basic_header() const {
    return "Authorization: Basic " +
           detail::base64(credentials_->username + ":" + credentials_->secret);
}

detail::TlsOptions Client::tls() const {
    return {!options_.insecure, options_.ca_file};
}

std::optional<std::string> Client::auth_header(const std::string& scope) {
    std::lock_guard lock(mutex_);
    if (auto it = tokens_.find(scope); it != tokens_.end())
        return "Authorization: Bearer " + it->second;
    if (use_basic_ && credentials_)
        return basic_header();
    return std::nullopt;
}

Status Client::authenticate(const std::string& challenge, const std::string& scope) {
    auto params = detail::parse_challenge(challenge);
    std::string scheme = params["scheme"];
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (scheme == "basic") {
        if (!credentials_)
            return fail(ExitCode::registry,
                        fmt::format("registry {} asks for credentials", registry_),
                        fmt::format("docker login {}, or set RCD_REGISTRY_USERNAME and "
                                    "RCD_REGISTRY_PASSWORD",
                                    registry_));
        std::lock_guard lock(mutex_);
        use_basic_ = true;
        return {};
    }
    if (scheme != "bearer" || params["realm"].empty())
        return fail(ExitCode::registry,
                    fmt::format("registry {} asks for an unknown kind of authentication: {}",
                                registry_, params["scheme"]),
                    "use a registry with basic or token authentication");

    std::string token_url = params["realm"];
    token_url += token_url.find('?') == std::string::npos ? "?" : "&";
    token_url += "service=" + detail::url_escape(params["service"]);
    for (const auto& one : util::split(scope.empty() ? params["scope"] : scope, ' '))
        if (!one.empty())
            token_url += "&scope=" + detail::url_escape(one);
    // The password goes to the token service only where it may: see realm_may_get_basic.
    auto response = detail::perform_following(
        HttpRequest{"GET",
                    token_url,
                    {},
                    {},
                    nullptr,
                    std::chrono::steady_clock::now() + options_.deadline},
        credentials_ ? basic_header() : "",
        [this](const std::string& to) { return realm_may_get_basic(to); }, tls());
    log::debug("registry {}: token for '{}' from {} -> {}", registry_, scope,
               detail::printable_url(token_url),
               response ? std::to_string(response->status) : response.error().message);
    if (!response)
        return fail(ExitCode::registry,
                    fmt::format("registry {}: cannot reach its token service: {}", registry_,
                                response.error().message),
                    "check the registry's token service");
    if (response->status != 200)
        return std::unexpected(
            registry_error("token request refused", response->status, response->body));
    try {
        auto doc = nlohmann::json::parse(response->body);
        std::string token = doc.contains("token") ? doc["token"] : doc.at("access_token");
        // It becomes a header: nothing but visible ASCII.
        if (token.empty() || std::any_of(token.begin(), token.end(),
                                         [](unsigned char ch) { return ch <= ' ' || ch >= 0x7f; }))
            throw nlohmann::json::other_error::create(501, "not a token", nullptr);
        log::add_secret(token);
        std::lock_guard lock(mutex_);
        tokens_[scope] = token;
    } catch (const nlohmann::json::exception&) {
        return fail(
            ExitCode::registry,
            fmt::format("registry {}: its token service answered without a token", registry_),
            "check the registry's token service");
    }
    return {};
}

Result<Client::Response> Client::send(const std::string& method, const std::string& path,
                                      std::vector<std::string> headers, const detail::Payload& body,
                                      const std::string& scope, const Progress* progress,
                                      const detail::BodySink* sink) {
    bool authenticated = false;
    const auto bytes =
        std::max<std::int64_t>(static_cast<std::int64_t>(body.size()), sink ? sink->expected : 0);
    const auto deadline =
        std::chrono::steady_clock::now() + options_.deadline + std::chrono::seconds(bytes >> 20);
    const std::string what = fmt::format("{} {}", method, detail::printable_url(path));
    for (int attempt = 0;; ++attempt) {
        HttpRequest request{method, url(path), headers, body, sink, deadline};
        const auto started = std::chrono::steady_clock::now();
        auto response = detail::perform_following(
            std::move(request), auth_header(scope).value_or(""),
            [this](const std::string& to) { return may_carry_credentials(to); }, tls(), progress);
        log::debug("registry {}: {} -> {} in {} ms{}", registry_, what,
                   response ? std::to_string(response->status) : response.error().message,
                   util::elapsed_ms(started),
                   response && response->new_connection ? " (new connection)" : "");
        const bool last = attempt + 1 >= options_.max_attempts;
        auto out_of_time = [&](std::chrono::milliseconds wait) {
            return std::chrono::steady_clock::now() + wait >= deadline;
        };
        if (!response) {
            const auto& e = response.error();
            if (e.tls_untrusted)
                return fail(ExitCode::registry,
                            fmt::format("registry {}: its TLS certificate is not trusted: {}",
                                        registry_, e.message),
                            "pass --ca-file with the CA that signed it, or set SSL_CERT_FILE to "
                            "the machine's CA bundle (--insecure skips the check)");
            if (e.tls_mismatch)
                return fail(
                    ExitCode::registry,
                    fmt::format("registry {}: TLS handshake failed: {}", registry_, e.message),
                    "check that the registry speaks HTTPS, or pass --insecure");
            if (e.sink_refused)
                return fail(ExitCode::filesystem,
                            fmt::format("cannot store what registry {} sent ({})", registry_, what),
                            "check free disk space and the cache directory's permissions");
            if (e.too_large)
                return fail(ExitCode::registry,
                            fmt::format("registry {} ({}): {}", registry_, what, e.message),
                            "the registry's answer is not what a registry sends; check it");
            if (e.unresolvable)
                return fail(ExitCode::registry,
                            fmt::format("cannot reach registry {}: {}", registry_, e.message),
                            "check the registry's host name (registry: in rcd.yaml, --registry or "
                            "RCD_REGISTRY) and the machine's DNS");
            auto wait = backoff(attempt, options_.base_delay, "");
            if (last || out_of_time(wait))
                return fail(ExitCode::registry,
                            fmt::format("{} registry {} ({}): {} (after {} attempt{})",
                                        e.timed_out ? "no timely answer from" : "cannot reach",
                                        registry_, what, e.message, attempt + 1,
                                        attempt == 0 ? "" : "s"),
                            e.timed_out ? "the registry accepts connections but does not answer "
                                          "in time; check its health and the network"
                                        : "check that the registry is running and its address "
                                          "is right (registry: in rcd.yaml, --registry or "
                                          "RCD_REGISTRY)");
            log::debug("registry {}: {}: {}; retrying in {} ms", registry_, what, e.message,
                       wait.count());
            std::this_thread::sleep_for(wait);
            continue;
        }
        if (response->status == 401 && credentials_ && !may_carry_credentials(url(path)))
            return fail(ExitCode::registry,
                        fmt::format("registry {} asks for credentials over plain HTTP; rcd sends "
                                    "them in the clear only to a loopback registry",
                                    registry_),
                        "serve the registry over HTTPS (with --ca-file for a private CA)");
        if (response->status == 401 && !authenticated) {
            authenticated = true;
            RCD_CHECK(authenticate(response->header("www-authenticate"), scope));
            --attempt; // answering a challenge is not a failed attempt
            continue;
        }
        if (retryable_status(response->status) && !last) {
            auto wait = backoff(attempt, options_.base_delay, response->header("retry-after"));
            if (!out_of_time(wait)) {
                log::debug("registry {}: {}: HTTP {}; retrying in {} ms", registry_, what,
                           response->status, wait.count());
                std::this_thread::sleep_for(wait);
                continue;
            }
        }
        return Response{std::move(*response)};
    }
}

Result<bool> Client::has_blob(const std::string& repo, const std::string& digest) {
    RCD_ASSIGN(auto r, send("HEAD", fmt::format("/v2/{}/blobs/{}", repo, digest), {}, {},
                            repo_scope(repo, "pull,push")));
    if (r.status == 200)
        return true;
    if (r.status == 404)
        return false;
    return std::unexpected(
        registry_error(fmt::format("checking blob {}", digest), r.status, r.body));
}

Status Client::check_push(const std::string& repo) {
    // An upload session is what pushing needs: open one, then cancel it.
    RCD_ASSIGN(auto start, send("POST", fmt::format("/v2/{}/blobs/uploads/", repo),
                                {"Content-Type:"}, {}, repo_scope(repo, "pull,push")));
    if (start.status != 202)
        return std::unexpected(
            registry_error(fmt::format("{} cannot push to {}",
                                       credentials_ ? "the credentials from " + credentials_->source
                                                    : std::string("anonymous access"),
                                       repo),
                           start.status, start.body));
    if (auto location = start.header("location"); !location.empty())
        (void)send("DELETE", location, {}, {}, repo_scope(repo, "pull,push"));
    return {};
}

Result<std::vector<std::string>> Client::list_tags(const std::string& repo) {
    std::vector<std::string> tags;
    std::string path = fmt::format("/v2/{}/tags/list?n=1000", repo);
    // Pages follow the Link header: </v2/x/tags/list?n=1000&last=y>; rel="next".
    for (int page = 0; !path.empty() && page < 1000; ++page) {
        RCD_ASSIGN(auto r, send("GET", path, {}, {}, repo_scope(repo, "pull")));
        if (r.status == 404)
            return tags;
        if (r.status != 200)
            return std::unexpected(
                registry_error(fmt::format("listing the tags of {}", repo), r.status, r.body));
        auto doc = nlohmann::json::parse(r.body, nullptr, false);
        if (doc.is_discarded() || !doc.is_object())
            return fail(ExitCode::registry,
                        fmt::format("registry {}: the tag list of {} is not JSON", registry_, repo),
                        "check the registry");
        if (doc.contains("tags") && doc["tags"].is_array())
            for (const auto& tag : doc["tags"])
                if (tag.is_string())
                    tags.push_back(tag.get<std::string>());
        path.clear();
        std::string link = r.header("link");
        auto open = link.find('<');
        auto close = link.find('>');
        if (open != std::string::npos && close != std::string::npos && close > open &&
            link.find("rel=\"next\"") != std::string::npos)
            path = link.substr(open + 1, close - open - 1);
        if (!path.empty() && !path.starts_with("/v2/"))
            path.clear(); // only the registry's own API, never another host
    }
    return tags;
}

Status Client::delete_manifest(const std::string& repo, const std::string& digest) {
    RCD_ASSIGN(auto r, send("DELETE", fmt::format("/v2/{}/manifests/{}", repo, digest), {}, {},
                            repo_scope(repo, "delete")));
    if (r.status == 202 || r.status == 200 || r.status == 404)
        return {};
    std::string hint = r.status == 405 ? "the registry does not allow deletes (distribution: "
                                         "storage: delete: enabled: true)"
                                       : "";
    auto error = registry_error(fmt::format("deleting {}@{}", repo, digest), r.status, r.body);
    if (!hint.empty())
        error.hint = hint;
    return std::unexpected(error);
}

Result<bool> Client::mount_blob(const std::string& repo, const std::string& digest,
                                const std::string& from_repo) {
    std::string scope = repo_scope(repo, "pull,push") + " " + repo_scope(from_repo, "pull");
    RCD_ASSIGN(auto r, send("POST",
                            fmt::format("/v2/{}/blobs/uploads/?mount={}&from={}", repo, digest,
                                        detail::url_escape(from_repo)),
                            {"Content-Type:"}, {}, scope));
    // 202 opens an upload instead; it is left for the registry to expire.
    if (r.status == 201 || r.status == 202)
        return r.status == 201;
    return std::unexpected(
        registry_error(fmt::format("mounting blob {}", digest), r.status, r.body));
}

Result<std::string> Client::upload_chunked(const std::string& repo, const detail::Payload& blob,
                                           const std::string& scope) {
    RCD_ASSIGN(auto start, send("POST", fmt::format("/v2/{}/blobs/uploads/", repo),
                                {"Content-Type:"}, {}, scope));
    if (start.status != 202)
        return std::unexpected(registry_error("starting an upload", start.status, start.body));
    std::string location = start.header("location");
    constexpr std::int64_t kChunk = 8 << 20;
    for (std::int64_t offset = 0; offset < blob.size(); offset += kChunk) {
        detail::Payload chunk = blob.slice(offset, kChunk);
        RCD_ASSIGN(auto patch,
                   send("PATCH", location,
                        {"Content-Type: application/octet-stream",
                         fmt::format("Content-Range: {}-{}", offset, offset + chunk.size() - 1)},
                        chunk, scope));
        if (patch.status != 202)
            return std::unexpected(registry_error("uploading a chunk", patch.status, patch.body));
        location = patch.header("location");
    }
    return location;
}

Result<BlobOutcome> Client::push_blob(const std::string& repo, const image::Blob& blob,
                                      const std::optional<std::string>& mount_from,
                                      const Progress& progress) {
    return push_payload(repo, blob.digest, std::string_view(blob.data), mount_from, progress);
}

Result<BlobOutcome> Client::push_blob_file(const std::string& repo, const std::string& digest,
                                           const std::filesystem::path& file,
                                           const Progress& progress) {
    struct Opened {
        int fd;
        ~Opened() {
            if (fd >= 0)
                ::close(fd);
        }
    } opened{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
    struct stat st {};
    if (opened.fd < 0 || ::fstat(opened.fd, &st) != 0)
        return fail(ExitCode::filesystem,
                    fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)),
                    "check the cache directory and its permissions");
    return push_payload(repo, digest, detail::Payload::file(opened.fd, 0, st.st_size), std::nullopt,
                        progress);
}

Result<BlobOutcome> Client::push_payload(const std::string& repo, const std::string& digest,
                                         const detail::Payload& blob,
                                         const std::optional<std::string>& mount_from,
                                         const Progress& progress) {
    RCD_ASSIGN(bool exists, has_blob(repo, digest));
    if (exists)
        return BlobOutcome::existed;
    if (mount_from && *mount_from != repo) {
        RCD_ASSIGN(bool mounted, mount_blob(repo, digest, *mount_from));
        if (mounted)
            return BlobOutcome::mounted;
    }
    std::string scope = repo_scope(repo, "pull,push");
    RCD_ASSIGN(auto start, send("POST", fmt::format("/v2/{}/blobs/uploads/", repo),
                                {"Content-Type:"}, {}, scope));
    if (start.status != 202)
        return std::unexpected(registry_error("starting an upload", start.status, start.body));
    std::string location = start.header("location");
    auto with_digest = [&](const std::string& loc) {
        return loc + (loc.find('?') == std::string::npos ? "?" : "&") + "digest=" + digest;
    };
    const Progress* progress_ptr = progress ? &progress : nullptr;
    RCD_ASSIGN(auto put,
               send("PUT", with_digest(location), {"Content-Type: application/octet-stream"}, blob,
                    scope, progress_ptr));
    if (put.status == 201)
        return BlobOutcome::uploaded;
    if (put.status >= 400 && put.status < 500 && put.status != 401 && put.status != 403) {
        // Some registries take only chunked uploads.
        log::debug("registry {} refused a monolithic upload ({}); uploading in chunks", registry_,
                   put.status);
        RCD_ASSIGN(auto final_location, upload_chunked(repo, blob, scope));
        RCD_ASSIGN(auto done, send("PUT", with_digest(final_location),
                                   {"Content-Type: application/octet-stream"}, {}, scope));
        if (done.status == 201)
            return BlobOutcome::uploaded;
        return std::unexpected(
            registry_error(fmt::format("uploading blob {}", digest), done.status, done.body));
    }
    return std::unexpected(
        registry_error(fmt::format("uploading blob {}", digest), put.status, put.body));
}

Result<std::int64_t> Client::download_blob(const std::string& repo, const std::string& digest,
                                           std::int64_t expected, const std::filesystem::path& to,
                                           const Progress& progress, util::GrowingFile* growing) {
    struct File {
        int fd;
        util::GrowingFile* growing;
        bool good = false;
        ~File() {
            ::close(fd);
            if (growing)
                growing->finish(good);
        }
    } file{::open(to.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), growing};
    if (file.fd < 0)
        return fail(ExitCode::filesystem,
                    fmt::format("cannot write {}: {}", to, std::strerror(errno)),
                    "check the cache directory's permissions");
    if (growing)
        growing->open(::dup(file.fd));
    std::optional<util::Sha256> hasher;
    std::int64_t size = 0;
    bool oversized = false;     // more bytes than the descriptor said: never a retry
    detail::BodySink sink{[&] { // each attempt starts over
                              // Only a retry truncates: ext4 flushes a truncated file to disk
                              // when it is closed, which a first attempt need not pay.
                              if (size > 0) {
                                  if (growing)
                                      growing->restarted();
                                  ::ftruncate(file.fd, 0);
                                  ::lseek(file.fd, 0, SEEK_SET);
                              }
                              hasher.emplace();
                              size = 0;
                          },
                          [&](std::string_view chunk) {
                              if (size + static_cast<std::int64_t>(chunk.size()) > expected) {
                                  oversized = true;
                                  return false;
                              }
                              hasher->update(chunk);
                              if (!util::write_all(file.fd, chunk))
                                  return false;
                              size += static_cast<std::int64_t>(chunk.size());
                              if (growing)
                                  growing->grew(size);
                              return true;
                          },
                          expected};
    auto r = send("GET", fmt::format("/v2/{}/blobs/{}", repo, digest), {}, {},
                  repo_scope(repo, "pull"), progress ? &progress : nullptr, &sink);
    auto failed = [&](Error error) -> Result<std::int64_t> {
        std::error_code ec;
        std::filesystem::remove(to, ec);
        return std::unexpected(std::move(error));
    };
    if (oversized)
        return failed(Error{ExitCode::registry,
                            fmt::format("registry {}: blob {} is larger than the {} bytes its "
                                        "manifest says",
                                        registry_, digest, expected),
                            "the registry's content does not match its manifest; push it again"});
    if (!r)
        return failed(r.error());
    if (r->status != 200)
        return failed(registry_error(fmt::format("fetching blob {}", digest), r->status, r->body));
    if ("sha256:" + hasher->hex() != digest)
        return failed(digest_mismatch(digest));
    file.good = true;
    return size;
}

Result<std::string> Client::get_blob(const std::string& repo, const std::string& digest) {
    RCD_ASSIGN(auto r, send("GET", fmt::format("/v2/{}/blobs/{}", repo, digest), {}, {},
                            repo_scope(repo, "pull")));
    if (r.status != 200)
        return std::unexpected(
            registry_error(fmt::format("fetching blob {}", digest), r.status, r.body));
    if (util::sha256_digest(r.body) != digest)
        return std::unexpected(digest_mismatch(digest));
    return std::move(r.body);
}

Result<std::optional<std::string>> Client::manifest_digest(const std::string& repo,
                                                           const std::string& reference) {
    RCD_ASSIGN(auto r, send("HEAD", fmt::format("/v2/{}/manifests/{}", repo, reference),
                            {kAcceptManifests}, {}, repo_scope(repo, "pull,push")));
    if (r.status == 404)
        return std::optional<std::string>{};
    if (r.status != 200)
        return std::unexpected(
            registry_error(fmt::format("checking {}:{}", repo, reference), r.status, r.body));
    std::string digest = r.header("docker-content-digest");
    if (!util::is_sha256_digest(digest)) { // missing, or not a digest: it would name a URL
        RCD_ASSIGN(auto fetched, get_manifest(repo, reference));
        digest = fetched.digest;
    }
    return std::optional<std::string>(digest);
}

Result<FetchedManifest> Client::get_manifest(const std::string& repo,
                                             const std::string& reference) {
    RCD_ASSIGN(auto r, send("GET", fmt::format("/v2/{}/manifests/{}", repo, reference),
                            {kAcceptManifests}, {}, repo_scope(repo, "pull")));
    if (r.status != 200)
        return std::unexpected(
            registry_error(fmt::format("fetching {}:{}", repo, reference), r.status, r.body));
    std::string media_type = r.header("content-type");
    media_type = media_type.substr(0, media_type.find(';'));
    return FetchedManifest{media_type, util::sha256_digest(r.body), std::move(r.body)};
}

Status Client::put_manifest(const std::string& repo, const std::string& reference,
                            const std::string& media_type, const std::string& body) {
    RCD_ASSIGN(auto r, send("PUT", fmt::format("/v2/{}/manifests/{}", repo, reference),
                            {"Content-Type: " + media_type}, std::string_view(body),
                            repo_scope(repo, "pull,push")));
    if (r.status != 201 && r.status != 200)
        return std::unexpected(
            registry_error(fmt::format("pushing {}:{}", repo, reference), r.status, r.body));
    return {};
}

} // namespace rcd::registry
