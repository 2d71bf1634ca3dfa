// A whole file in memory, as reff reads pictures, masks and uploads it serves or inlines.
#pragma once

#include <string>

namespace reff {

// Throws reff::Error naming the file when it cannot be read.
std::string read_file_bytes(const std::string& path);

}  // namespace reff
