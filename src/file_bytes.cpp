#include "reff/file_bytes.h"

#include "reff/error.h"

#include <fstream>
#include <iterator>

namespace reff {

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REFF_REQUIRE(in.good(), path, "cannot read");
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  REFF_REQUIRE(!in.bad(), path, "read failed");
  return bytes;
}

}  // namespace reff
