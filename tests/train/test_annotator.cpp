#include "fixtures.h"
#include "reff/error.h"
#include "reff/explain/grad_cam.h"
#include "reff/models/resnet.h"
#include "reff/train/annotator.h"
#include "reff/train/trainer.h"

#include <gtest/gtest.h>

#include <sstream>

namespace reff::train {
namespace {

// Images of bright rectangles on a dark, noisy background; the mask is the bright pixels.
data::TensorDataset bright_rectangles(int64_t count, uint64_t seed) {
  torch::manual_seed(seed);
  auto images = torch::randint(20, 90, {count, 3, 32, 32}, torch::kUInt8);
  auto masks = torch::zeros({count, 32, 32}, torch::kUInt8);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t top = torch::randint(0, 20, {1}).item<int64_t>();
    const int64_t left = torch::randint(0, 20, {1}).item<int64_t>();
    const int64_t h = torch::randint(6, 12, {1}).item<int64_t>();
    const int64_t w = torch::randint(6, 12, {1}).item<int64_t>();
    images[i].narrow(1, top, h).narrow(2, left, w).fill_(220);
    masks[i].narrow(0, top, h).narrow(1, left, w).fill_(255);
  }
  return data::TensorDataset(images, torch::zeros({count}, torch::kInt64), masks,
                             torch::ones({count}, torch::kBool));
}

TEST(Annotator, TinyPix2PixLearnsBrightPixelsToHighIoU) {
  const auto dir = test::fresh_dir("annotator");
  AnnotatorOptions options;
  options.iterations = 300;
  options.generator_base = 8;
  options.discriminator_base = 8;
  options.lr = 2e-3;
  torch::manual_seed(0);
  Pix2Pix model(32, options);
  train_annotator(model, options, bright_rectangles(32, 1), dir.string(), false);
  const auto held_out = bright_rectangles(32, 2);
  const auto overlap = mask_overlap(pseudo_annotate(*model.generator, held_out),
                                    held_out.masks().to(torch::kFloat).div(255));
  EXPECT_GT(overlap.iou, 0.9);
  EXPECT_TRUE(std::filesystem::exists(dir / kAnnotatorCheckpoint));
}

// The metrics lines without their timings.
std::vector<nlohmann::json> logged_losses(const std::filesystem::path& dir) {
  std::vector<nlohmann::json> lines;
  std::istringstream text(test::read_file(dir / "metrics.jsonl"));
  for (std::string line; std::getline(text, line);) {
    auto record = nlohmann::json::parse(line);
    record.erase("seconds");
    lines.push_back(record);
  }
  return lines;
}

TEST(Annotator, AStopRequestKeepsTheRunAndTheResumedRunEndsAsAnUninterruptedOne) {
  AnnotatorOptions options;
  options.iterations = 12;
  options.checkpoint_every = 5;
  options.generator_base = 4;
  options.discriminator_base = 4;
  const auto data = bright_rectangles(8, 1);
  const auto whole = test::fresh_dir("annotator-whole");
  torch::manual_seed(0);
  Pix2Pix uninterrupted(32, options);
  train_annotator(uninterrupted, options, data, whole.string(), false);

  const auto dir = test::fresh_dir("annotator-stopped");
  torch::manual_seed(0);
  Pix2Pix stopped(32, options);
  int64_t asked = 0;
  TrainCallbacks stop_at_7;
  stop_at_7.stop_requested = [&] { return ++asked == 7; };  // between two checkpoints
  EXPECT_THROW(train_annotator(stopped, options, data, dir.string(), false, stop_at_7),
               TrainingInterrupted);
  EXPECT_EQ(asked, 7);
  torch::manual_seed(123);  // other initial weights: the checkpoint must restore everything
  Pix2Pix resumed(32, options);
  train_annotator(resumed, options, data, dir.string(), true);

  const auto expected = uninterrupted.generator->parameters();
  const auto got = resumed.generator->parameters();
  ASSERT_EQ(expected.size(), got.size());
  for (size_t k = 0; k < expected.size(); ++k) EXPECT_TRUE(torch::equal(expected[k], got[k])) << k;
  const auto d_expected = uninterrupted.discriminator->parameters();
  const auto d_got = resumed.discriminator->parameters();
  for (size_t k = 0; k < d_expected.size(); ++k) EXPECT_TRUE(torch::equal(d_expected[k], d_got[k]));
  EXPECT_EQ(logged_losses(dir), logged_losses(whole));
  EXPECT_EQ(logged_losses(dir).size(), 3u);  // iterations 5, 10, 12
}

TEST(Annotator, MaskOverlapOnHandMadeMasks) {
  const auto truth = torch::tensor({{{1.0, 1.0}, {0.0, 0.0}}, {{0.0, 0.0}, {0.0, 0.0}}});
  const auto predicted = torch::tensor({{{0.9, 0.2}, {0.7, 0.0}}, {{0.1, 0.0}, {0.0, 0.4}}});
  const auto overlap = mask_overlap(predicted, truth);
  // Sample 0: intersection 1, union 3 -> IoU 1/3, Dice 2/4; sample 1: both empty -> 1.
  EXPECT_NEAR(overlap.iou, (1.0 / 3 + 1) / 2, 1e-12);
  EXPECT_NEAR(overlap.dice, (0.5 + 1) / 2, 1e-12);
}

TEST(Algorithm1, MixedBatchLossIsTheSumOfItsParts) {
  // Four samples: 0 and 2 annotated (D1), 1 and 3 pseudo-annotated (D2).
  const auto base = bright_rectangles(4, 3);
  const auto pseudo = torch::rand({4, 32, 32});
  const auto mixed = base.with_annotations({0, 2}, pseudo);
  const auto batch = mixed.slice(0, 4);
  EXPECT_TRUE(batch.has_mask.all().item<bool>());
  const auto true_masks = base.slice(0, 4).masks;
  const auto quantised = pseudo.mul(255).round().div(255);
  for (int64_t i : {0, 2}) EXPECT_TRUE(torch::equal(batch.masks[i], true_masks[i]));
  for (int64_t i : {1, 3}) EXPECT_TRUE(torch::allclose(batch.masks[i], quantised[i]));

  torch::manual_seed(1);
  auto model = models::small_resnet({4, {1, 1, 1, 1}, 10});
  model->eval();
  TrainOptions options;
  options.method = "reff";
  options.lambda = 0.01;
  const auto terms = training_loss(*model, batch, options);

  // By hand: CE averaged, plus lambda times the mean of per-sample Eq. (3) terms, each against
  // its own mask source.
  explain::GradCamOptions cam;
  cam.create_graph = true;
  const auto forward = model->forward(batch.images);
  const auto maps = explain::grad_cam(forward, batch.labels, {32, 32}, cam);
  double by_hand = 0;
  const std::vector<double> w = {15, 60, 250, 1000};
  for (int64_t i = 0; i < 4; ++i) {
    const auto s = (i % 2 == 0) ? true_masks[i] : quantised[i];
    for (size_t l = 0; l < 4; ++l)
      by_hand += w[l] * (maps[l][i] * (1 - s)).abs().sum().item<double>();
  }
  by_hand /= 4;
  EXPECT_NEAR(terms.explanation.item<double>(), by_hand, 1e-4 * std::max(1.0, by_hand));
  const double ce =
      torch::nn::functional::cross_entropy(forward.logits, batch.labels).item<double>();
  EXPECT_NEAR(terms.total.item<double>(), ce + 0.01 * by_hand, 1e-4 * std::max(1.0, by_hand));

  // Without an annotator, D2 has no mask and adds nothing.
  const auto without = base.with_annotations({0, 2}, {}).slice(0, 4);
  EXPECT_TRUE(torch::equal(without.has_mask, torch::tensor({true, false, true, false})));
}

TEST(TensorDataset, EmptyMasksAreThoseOfMaskedSamplesThatMarkNothing) {
  auto masks = torch::zeros({4, 2, 2}, torch::kUInt8);
  masks[0][1][1] = 1;  // the faintest soft mask still marks something
  masks[3][0][0] = 255;
  const data::TensorDataset set(torch::zeros({4, 3, 2, 2}, torch::kUInt8),
                                torch::zeros({4}, torch::kInt64), masks,
                                torch::tensor({true, true, false, true}));
  EXPECT_EQ(set.empty_mask_indices(), std::vector<int64_t>{1});  // 2 has no mask at all
  EXPECT_TRUE(data::TensorDataset().empty_mask_indices().empty());
}

}  // namespace
}  // namespace reff::train
