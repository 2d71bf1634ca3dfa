#include "reff/data/idx_file.h"

#include "reff/error.h"

#include <zlib.h>

#include <array>
#include <cstring>
#include <memory>

namespace reff::data {
namespace {

constexpr uint8_t kUnsignedByte = 0x08;
constexpr int kMaxDims = 4;

struct GzFile {
  explicit GzFile(const std::string& path, const char* mode) : file(gzopen(path.c_str(), mode)) {}
  ~GzFile() {
    if (file != nullptr) gzclose(file);
  }
  gzFile file;
};

// Reads up to `size` bytes; returns how many were read. gzread reads raw files transparently.
size_t read_bytes(GzFile& in, uint8_t* out, size_t size, const std::string& path) {
  size_t total = 0;
  while (total < size) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - total, 1 << 26));
    const int got = gzread(in.file, out + total, chunk);
    if (got < 0) {
      int code = 0;
      throw Error(path + ": corrupt data (" + gzerror(in.file, &code) + ")");
    }
    if (got == 0) break;
    total += static_cast<size_t>(got);
  }
  return total;
}

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

torch::Tensor read_idx(const std::string& path) {
  GzFile in(path, "rb");
  REFF_REQUIRE(in.file != nullptr, path, std::string("cannot open (") + std::strerror(errno) + ")");

  std::array<uint8_t, 4> magic{};
  REFF_REQUIRE(read_bytes(in, magic.data(), 4, path) == 4, path, "truncated: no IDX header");
  REFF_REQUIRE(magic[0] == 0 && magic[1] == 0, path, "not an IDX file (bad magic number)");
  REFF_REQUIRE(
      magic[2] == kUnsignedByte, path,
      "unsupported IDX value type " + std::to_string(magic[2]) + " (expected 8, unsigned byte)");
  const int ndims = magic[3];
  REFF_REQUIRE(ndims >= 1 && ndims <= kMaxDims, path,
               "bad IDX dimension count " + std::to_string(ndims) + " (expected 1 to 4)");

  std::array<uint8_t, 4 * kMaxDims> header{};
  REFF_REQUIRE(read_bytes(in, header.data(), 4 * ndims, path) == size_t(4 * ndims), path,
               "truncated IDX header");
  std::vector<int64_t> dims;
  uint64_t count = 1;
  for (int d = 0; d < ndims; ++d) {
    const uint32_t size = big_endian(header.data() + 4 * d);
    REFF_REQUIRE(size > 0, path, "IDX dimension " + std::to_string(d) + " is zero");
    dims.push_back(size);
    count *= size;
    REFF_REQUIRE(count < (uint64_t{1} << 40), path, "IDX sizes are implausibly large");
  }

  // Grow the buffer as data actually arrives, so a lying header cannot allocate terabytes.
  std::vector<uint8_t> values;
  size_t done = 0;
  while (done < count) {
    const size_t chunk = std::min<uint64_t>(count - done, size_t{1} << 24);
    values.resize(done + chunk);
    const size_t got = read_bytes(in, values.data() + done, chunk, path);
    done += got;
    if (got < chunk) break;
  }
  REFF_REQUIRE(done == count, path,
               "truncated: header promises " + std::to_string(count) + " values, file holds " +
                   std::to_string(done));
  uint8_t extra = 0;
  REFF_REQUIRE(read_bytes(in, &extra, 1, path) == 0, path,
               "longer than its header says (" + std::to_string(count) + " values)");

  auto tensor = torch::empty(dims, torch::kUInt8);
  std::memcpy(tensor.data_ptr<uint8_t>(), values.data(), count);
  return tensor;
}

void write_idx(const std::string& path, const torch::Tensor& values) {
  REFF_REQUIRE(values.scalar_type() == torch::kUInt8, path, "IDX writer takes uint8 tensors");
  REFF_REQUIRE(values.dim() >= 1 && values.dim() <= kMaxDims, path, "IDX needs 1 to 4 dimensions");
  std::vector<uint8_t> bytes = {0, 0, kUnsignedByte, static_cast<uint8_t>(values.dim())};
  for (int64_t size : values.sizes()) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(uint8_t(uint64_t(size) >> shift));
  }
  const auto flat = values.contiguous();
  bytes.insert(bytes.end(), flat.data_ptr<uint8_t>(), flat.data_ptr<uint8_t>() + flat.numel());

  GzFile out(path, ends_with(path, ".gz") ? "wb9" : "wbT");
  REFF_REQUIRE(out.file != nullptr, path,
               std::string("cannot write (") + std::strerror(errno) + ")");
  REFF_REQUIRE(gzwrite(out.file, bytes.data(), static_cast<unsigned>(bytes.size())) ==
                   static_cast<int>(bytes.size()),
               path, "write failed");
  REFF_REQUIRE(gzclose(out.file) == Z_OK, path, "write failed");
  out.file = nullptr;
}

}  // namespace reff::data
