// SHA-256, the digest of every OCI blob.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace rcd::util {

class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(std::string_view data);
    std::string hex(); // finishes the hash

  private:
    struct State;
    std::unique_ptr<State> state_;
};

std::string sha256_hex(std::string_view data);
std::string sha256_digest(std::string_view data); // "sha256:<hex>"

// Names that come from outside (a registry, an index file) and will name a file: 64 lowercase
// hex digits, and "sha256:" followed by them.
bool is_sha256_hex(std::string_view text);
bool is_sha256_digest(std::string_view text);

} // namespace rcd::util
