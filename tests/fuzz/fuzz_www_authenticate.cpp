// A registry's WWW-Authenticate header, and the URLs a redirect or a realm may name.
#include "registry/http.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    (void)rcd::registry::detail::parse_challenge(text);
    (void)rcd::registry::detail::origin_of(text);
    (void)rcd::registry::detail::printable_url(text);
    (void)rcd::registry::detail::resolve_url("https://registry.example/v2/x/blobs/uploads/", text);
    return 0;
}
