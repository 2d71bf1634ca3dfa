// RFC 4648 base64 (labelme embeds PNG masks so; report.html inlines its pictures so). Whitespace is
// skipped; padding is optional.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace reff::data {

// Throws reff::Error("<where>: ...") for a character outside the alphabet or a dangling one.
std::vector<uint8_t> decode_base64(const std::string& text, const std::string& where);
// Standard alphabet, padded.
std::string encode_base64(const std::vector<uint8_t>& bytes);

}  // namespace reff::data
