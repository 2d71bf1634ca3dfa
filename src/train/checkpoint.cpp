#include "reff/train/checkpoint.h"

#include "reff/device.h"
#include "reff/error.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <unistd.h>
#include <filesystem>

namespace reff::train {

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
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  try {
    archive.save_to(temporary);
    std::filesystem::rename(temporary, path);
  } catch (const std::exception& e) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error(path + ": cannot write checkpoint (" + e.what() + ")");
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

nlohmann::json load_checkpoint(const std::string& path, torch::nn::Module& model,
                               const std::vector<torch::optim::Optimizer*>& optimizers) {
  require(std::filesystem::is_regular_file(path), path, "checkpoint not found");
  const auto expected = shapes(model);
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, device_of(model));
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    // LibTorch replaces tensors of another shape silently: compare, and name the first mismatch.
    const auto loaded = shapes(model);
    for (size_t k = 0; k < expected.size(); ++k) {
      require(loaded[k] == expected[k], path,
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

}  // namespace reff::train
