// Image references as users and registries write them.
#include "rcd/registry/reference.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)rcd::registry::parse_reference(text);
    (void)rcd::registry::parse_reference(text, false);
    (void)rcd::registry::starts_with_registry(text);
    (void)rcd::registry::valid_tag(text);
    return 0;
}
