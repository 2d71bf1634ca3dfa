#include "reff/run/stand_in.h"

#include "reff/error.h"

#include <cstdlib>
#include <filesystem>

namespace reff::run {
namespace fs = std::filesystem;

const char* const kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

namespace {

// The corpus's own data seed, so that its textures and positions are not those of the
// Textured MNIST sets generated with the fine-tuning config's seed.
constexpr uint64_t kCorpusSeed = 0x5ea1;

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

std::string cache_dir() {
  if (const auto own = environment("REFF_CACHE"); !own.empty()) return own;
  if (const auto xdg = environment("XDG_CACHE_HOME"); !xdg.empty()) return xdg + "/reff";
  const auto home = environment("HOME");
  REFF_REQUIRE(!home.empty(), "cache", "neither REFF_CACHE, XDG_CACHE_HOME nor HOME is set");
  return home + "/.cache/reff";
}

std::string stand_in_dir(const std::string& preset) { return cache_dir() + "/stand-in-" + preset; }

std::string stand_in_backbone(const std::string& preset) {
  return (fs::path(stand_in_dir(preset)) / kBackboneFile).string();
}

bool stand_in_fits(const RunConfig& config) {
  const auto preset = preset_config(config.preset);
  return config.model == preset.model && config.small.width == preset.small.width &&
         config.small.blocks == preset.small.blocks;
}

void require_stand_in_fits(const RunConfig& config) {
  const auto preset = preset_config(config.preset);
  REFF_REQUIRE(stand_in_fits(config), "--pretrained",
               "the " + config.preset + " preset's stand-in backbone is its own model (" +
                   preset.model + ", width " + std::to_string(preset.small.width) +
                   "); add --pretrained none to train this one from scratch");
}

RunConfig pretrain_config(const RunConfig& fine_tuning, const std::string& corpus_dir) {
  RunConfig c = fine_tuning;
  c.dataset = "textured-mnist";
  c.mnist_dir = corpus_dir;
  c.data.p = c.data.q = 1.0;
  c.data.seed = kCorpusSeed;
  c.tests.clear();
  c.annotated = {0, true, 0};
  c.annotator_dir.clear();
  c.pretrained.clear();
  c.num_classes = 0;
  c.train_count = 12000;
  c.val_count = 1000;
  c.test_count = 0;
  c.train = train::TrainOptions{};
  c.train.method = "baseline";
  c.train.epochs = 3;
  c.train.batch_size = 64;
  c.train.lr = 0.05;
  c.train.momentum = 0.9;
  c.train.weight_decay = 5e-4;
  c.train.seed = fine_tuning.train.seed;
  c.train.precision = fine_tuning.train.precision;
  // One stand-in serves every method: NCHW unless the preset asks otherwise, whichever method's run
  // builds it first.
  c.train.channels_last = fine_tuning.train.channels_last.value_or(false);
  return c;
}

}  // namespace reff::run
