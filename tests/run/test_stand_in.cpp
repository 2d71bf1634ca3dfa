#include "fixtures.h"
#include "reff/models/state_dict.h"
#include "reff/run/pretrain.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_config.h"
#include "reff/run/stand_in.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace reff::run {
using namespace reff::train;
namespace {
namespace fs = std::filesystem;

// A few images, one epoch: seconds.
void shrink(RunConfig& config) {
  config.train_count = 32;
  config.val_count = 16;
  config.test_count = 16;
  config.train.epochs = 1;
  config.train.batch_size = 16;
  config.train.eval.explain_count = 4;
}

// The cpu preset on a few bar digits, as the data to fine-tune on.
RunConfig tiny_cpu_config(const fs::path& mnist) {
  auto config = preset_config("cpu");
  config.mnist_dir = mnist.string();
  config.textures = {"varied", ""};
  shrink(config);
  return config;
}

// ... and its pretraining on the same digits as the corpus.
RunConfig tiny_pretrain_config(const fs::path& mnist) {
  auto config = pretrain_config(tiny_cpu_config(mnist), mnist.string());
  shrink(config);
  return config;
}

TEST(StandIn, PretrainingIsTheCorpusWithClassFreeTexturesAndNoTestSet) {
  const auto fine_tuning = preset_config("cpu");
  const auto c = pretrain_config(fine_tuning, kFashionMnistDir);
  EXPECT_EQ(c.mnist_dir, kFashionMnistDir);
  EXPECT_EQ(c.data.p, 1.0);
  EXPECT_EQ(c.data.q, 1.0);
  EXPECT_NE(c.data.seed, fine_tuning.data.seed);
  EXPECT_EQ(c.data.canvas, fine_tuning.data.canvas);
  EXPECT_EQ(c.data.digit_size, fine_tuning.data.digit_size);
  EXPECT_EQ(c.textures.kind, fine_tuning.textures.kind);
  EXPECT_TRUE(c.tests.empty());  // chosen on the in-distribution val split only
  EXPECT_TRUE(c.pretrained.empty());
  EXPECT_EQ(c.train.method, "baseline");
  EXPECT_EQ(c.model, fine_tuning.model);
}

TEST(StandIn, CorpusIsDeterministic) {
  const auto dir = test::fresh_dir("stand_in_corpus");
  test::write_mnist_folder(dir / "mnist", test::bar_digits(60));
  const auto config = tiny_pretrain_config(dir / "mnist");
  const auto a = textured_mnist(config, data::Split::train, "train", 1, 1).generate(0, 12);
  const auto b = textured_mnist(config, data::Split::train, "train", 1, 1).generate(0, 12);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].image, b[i].image)) << i;
    EXPECT_TRUE(torch::equal(a[i].mask, b[i].mask)) << i;
  }
}

TEST(StandIn, PretrainWritesABackboneThatTheCpuPresetStartsFrom) {
  const auto dir = test::fresh_dir("stand_in_pretrain");
  test::write_mnist_folder(dir / "mnist", test::bar_digits(60));
  const auto run = dir / "cache" / "stand-in-cpu";
  pretrain(tiny_pretrain_config(dir / "mnist"), run.string(), /*resume=*/true);
  ASSERT_TRUE(fs::exists(run / kCorpusPicture));
  const auto backbone = models::read_pth((run / kBackboneFile).string());
  ASSERT_FALSE(backbone.empty());
  for (const auto& [name, tensor] : backbone) EXPECT_NE(name.rfind("fc.", 0), 0u) << name;

  // The cpu preset names the stand-in; it is read from the cache.
  ::setenv("REFF_CACHE", (dir / "cache").string().c_str(), 1);
  auto config = tiny_cpu_config(dir / "mnist");
  ASSERT_EQ(config.pretrained, kStandIn);
  const auto model = initial_model(config);
  const auto loaded = models::state_dict(*model);
  for (const auto& entry : backbone) {
    const auto it = std::find_if(loaded.begin(), loaded.end(),
                                 [&](const auto& other) { return other.first == entry.first; });
    ASSERT_NE(it, loaded.end()) << entry.first;
    EXPECT_TRUE(torch::equal(it->second, entry.second)) << entry.first;
  }
  // ... and not for another width, nor when missing.
  config.small.width = 4;
  EXPECT_FALSE(stand_in_fits(config));
  test::expect_error_mentioning([&] { initial_model(config); }, "--pretrained none");
  ::setenv("REFF_CACHE", (dir / "empty-cache").string().c_str(), 1);
  config.small.width = 16;
  test::expect_error_mentioning([&] { initial_model(config); }, "reff pretrain --preset cpu");
  ::unsetenv("REFF_CACHE");
}

}  // namespace
}  // namespace reff::run
