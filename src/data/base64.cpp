#include "reff/data/base64.h"

#include "reff/error.h"

#include <algorithm>
#include <cctype>

namespace reff::data {

std::vector<uint8_t> decode_base64(const std::string& text, const std::string& where) {
  std::vector<uint8_t> bytes;
  bytes.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int held = 0, padding = 0;
  for (const unsigned char c : text) {
    if (std::isspace(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    REFF_REQUIRE(padding == 0, where, "base64 data continues after '='");
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    if (c >= '0' && c <= '9') value = c - '0' + 52;
    if (c == '+' || c == '-') value = 62;
    if (c == '/' || c == '_') value = 63;
    REFF_REQUIRE(value >= 0, where, "not base64 (character " + std::to_string(int(c)) + ")");
    bits = (bits << 6) | uint32_t(value);
    held += 6;
    if (held >= 8) {
      held -= 8;
      bytes.push_back(static_cast<uint8_t>(bits >> held));
    }
  }
  REFF_REQUIRE(held < 6 && padding <= 2, where, "base64 data ends in the middle of a byte");
  return bytes;
}

std::string encode_base64(const std::vector<uint8_t>& bytes) {
  constexpr const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t held = std::min<size_t>(3, bytes.size() - i);
    uint32_t bits = uint32_t(bytes[i]) << 16;
    if (held > 1) bits |= uint32_t(bytes[i + 1]) << 8;
    if (held > 2) bits |= bytes[i + 2];
    for (size_t k = 0; k < 4; ++k) text += k <= held ? kAlphabet[(bits >> (18 - 6 * k)) & 63] : '=';
  }
  return text;
}

}  // namespace reff::data
