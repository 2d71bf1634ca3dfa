#include "reff/train/checkpoint.h"

#include "reff/device.h"
#include "reff/error.h"
#include "reff/notice.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace reff::train {

namespace {

// A checkpoint file: kMagic, the payload's length (8 bytes, little-endian), its CRC-32 (4 bytes),
// then the payload, a LibTorch archive. Files without kMagic are read as bare archives (runs made
// before checksums).
constexpr char kMagic[] = "REFF-CHECKPOINT-1\n";
constexpr size_t kMagicLength = sizeof kMagic - 1;

uint32_t crc_of(const char* bytes, size_t length) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(bytes), static_cast<uInt>(length)));
}

void put_little(std::string& out, uint64_t value, int bytes) {
  for (int k = 0; k < bytes; ++k) out += static_cast<char>((value >> (8 * k)) & 0xFF);
}

uint64_t get_little(const std::string& in, size_t at, int bytes) {
  uint64_t value = 0;
  for (int k = bytes - 1; k >= 0; --k) value = (value << 8) | static_cast<uint8_t>(in[at + k]);
  return value;
}

}  // namespace

std::string previous_checkpoint(const std::string& path) { return path + ".prev"; }

bool has_checkpoint(const std::string& path) {
  return std::filesystem::exists(path) || std::filesystem::exists(previous_checkpoint(path));
}

void require_no_checkpoint(const std::string& path, const std::string& dir,
                           const std::string& what) {
  if (has_checkpoint(path))
    throw Error(dir + ": already holds " + what + "; pass --resume or choose another --out");
}

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const std::vector<const torch::optim::Optimizer*>& optimizers,
                     const nlohmann::json& state) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  for (size_t k = 0; k < optimizers.size(); ++k) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizers[k]->save(optimizer_archive);
    archive.write("optimizer" + std::to_string(k), optimizer_archive);
  }
  archive.write("state", c10::IValue(state.dump()));
  std::ostringstream payload_stream;
  archive.save_to(payload_stream);
  const auto payload = payload_stream.str();
  std::string header(kMagic, kMagicLength);
  put_little(header, payload.size(), 8);
  put_little(header, crc_of(payload.data(), payload.size()), 4);

  // Temporary file, then: the current checkpoint becomes .prev, the new one takes its place. A
  // crash at any moment leaves at least one complete checkpoint (load falls back to .prev).
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  out.close();
  std::error_code error;
  if (!out.good()) {
    std::filesystem::remove(temporary, error);
    throw Error(path + ": cannot write checkpoint (disk full or folder not writable?)");
  }
  if (std::filesystem::exists(path))
    std::filesystem::rename(path, previous_checkpoint(path), error);
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw Error(path + ": cannot put the checkpoint in place (" + error.message() + ")");
  }
}

namespace {

// Name and shape of every parameter and buffer.
std::vector<std::pair<std::string, std::vector<int64_t>>> shapes(const torch::nn::Module& model) {
  std::vector<std::pair<std::string, std::vector<int64_t>>> all;
  for (const auto& p : model.named_parameters()) all.emplace_back(p.key(), p.value().sizes().vec());
  for (const auto& b : model.named_buffers()) all.emplace_back(b.key(), b.value().sizes().vec());
  return all;
}

}  // namespace

namespace {

// A checkpoint file's bytes and where its archive starts, checked against length and CRC-32.
struct Payload {
  std::string bytes;
  size_t offset = 0;
  const char* data() const { return bytes.data() + offset; }
  size_t size() const { return bytes.size() - offset; }
};

Payload verified_payload(const std::string& path) {
  REFF_REQUIRE(std::filesystem::is_regular_file(path), path, "checkpoint not found");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REFF_REQUIRE(in.good() || in.eof(), path, "cannot read");
  if (bytes.compare(0, kMagicLength, kMagic) != 0) return {std::move(bytes), 0};  // bare archive
  const size_t header = kMagicLength + 12;
  REFF_REQUIRE(bytes.size() >= header, path, "truncated checkpoint (no complete header)");
  const uint64_t length = get_little(bytes, kMagicLength, 8);
  REFF_REQUIRE(bytes.size() - header == length, path,
               "truncated or extended checkpoint: " + std::to_string(bytes.size() - header) +
                   " payload bytes, the header says " + std::to_string(length));
  Payload payload{std::move(bytes), header};
  REFF_REQUIRE(
      crc_of(payload.data(), payload.size()) == get_little(payload.bytes, kMagicLength + 8, 4),
      path, "damaged checkpoint: its checksum does not match its contents");
  return payload;
}

nlohmann::json load_verified(const std::string& path, torch::nn::Module& model,
                             const std::vector<torch::optim::Optimizer*>& optimizers) {
  const auto payload = verified_payload(path);
  const auto expected = shapes(model);
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(payload.data(), payload.size(), device_of(model));
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    // LibTorch replaces tensors of another shape silently: compare, and name the first mismatch.
    const auto loaded = shapes(model);
    for (size_t k = 0; k < expected.size(); ++k) {
      REFF_REQUIRE(loaded[k] == expected[k], path,
                   "does not fit this model: " + expected[k].first + " is " +
                       c10::str(c10::IntArrayRef(loaded[k].second)) + " in the checkpoint, " +
                       c10::str(c10::IntArrayRef(expected[k].second)) + " in the model");
    }
    for (size_t k = 0; k < optimizers.size(); ++k) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer" + std::to_string(k), optimizer_archive);
      optimizers[k]->load(optimizer_archive);
    }
    c10::IValue state;
    archive.read("state", state);
    return nlohmann::json::parse(state.toStringRef());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string what = e.what();
    throw Error(path + ": unreadable checkpoint or one that does not fit this model (" +
                what.substr(0, what.find('\n')) + ")");
  }
}

}  // namespace

nlohmann::json load_checkpoint(const std::string& path, torch::nn::Module& model,
                               const std::vector<torch::optim::Optimizer*>& optimizers) {
  try {
    return load_verified(path, model, optimizers);
  } catch (const Error& damaged) {
    const auto previous = previous_checkpoint(path);
    // A checkpoint that does not fit the model is the caller's mistake, not damage: no fallback.
    if (std::string(damaged.what()).find("does not fit this model") != std::string::npos ||
        !std::filesystem::is_regular_file(previous)) {
      throw;
    }
    auto state = load_verified(previous, model, optimizers);
    notice(std::string(damaged.what()) + "; using the previous checkpoint " + previous +
           " (epoch " + std::to_string(state.value("epoch", int64_t(0))) + ")");
    return state;
  }
}

}  // namespace reff::train
