#include "fixtures.h"
#include "reff/error.h"
#include "reff/models/resnet.h"
#include "reff/notice.h"
#include "reff/train/checkpoint.h"
#include "reff/train/trainer.h"

#include <gtest/gtest.h>
#include <torch/nn/functional/loss.h>

#include <functional>

namespace reff::train {
namespace {

std::shared_ptr<models::ResNet> tiny_model(uint64_t seed = 1) {
  torch::manual_seed(seed);
  return models::small_resnet({4, {1, 1, 1, 1}, 10});
}

TrainOptions tiny_options(const std::string& method, int64_t epochs) {
  TrainOptions options;
  options.use_method(method);
  options.epochs = epochs;
  options.batch_size = 8;
  options.lr = 0.05;
  options.lambda = 1e-3;
  options.eval.explain_count = 8;
  return options;
}

std::vector<torch::Tensor> weights(torch::nn::Module& model) {
  std::vector<torch::Tensor> all;
  for (const auto& p : model.parameters()) all.push_back(p.detach().clone());
  for (const auto& b : model.buffers()) all.push_back(b.detach().clone());
  return all;
}

class TrainerSmoke : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainerSmoke, LowersTheTrainingLossAndWritesTheRunFolder) {
  const auto dir = test::fresh_dir("run");
  const auto train_set = test::tiny_textured_set(48, 1);
  auto model = tiny_model();
  const auto history =
      train(*model, tiny_options(GetParam(), 4), train_set, {"val", test::tiny_textured_set(16, 2)},
            {{"shift", test::tiny_textured_set(16, 3)}}, dir.string(), false)["history"];
  ASSERT_EQ(history.size(), 4u);
  const double first = history[0]["train"]["total_loss"], last = history[3]["train"]["total_loss"];
  EXPECT_LT(last, first);
  // The method's own term, under its name.
  if (const char* term = method_info(GetParam()).term) EXPECT_GT(history[0]["train"][term], 0.0);
  EXPECT_EQ(history[3]["tests"]["shift"]["layers"].size(), 4u);
  EXPECT_GE(history[3]["evaluation_seconds"].get<double>(), 0.0);  // the epoch's evaluation
  for (const char* file : {kLastCheckpoint, kBestCheckpoint, kMetrics}) {
    EXPECT_TRUE(std::filesystem::exists(dir / file)) << file;
  }
  // A second run into the same folder without --resume is refused; nothing is overwritten.
  const auto before = test::read_file(dir / kLastCheckpoint);
  EXPECT_THROW(train(*tiny_model(), tiny_options(GetParam(), 1), train_set,
                     {"val", test::tiny_textured_set(16, 2)}, {}, dir.string(), false),
               Error);
  EXPECT_EQ(test::read_file(dir / kLastCheckpoint), before);
}

// Every registered method that a model without an attention branch trains (methods.h).
std::vector<std::string> plain_model_methods() {
  std::vector<std::string> list;
  for (const auto& info : methods())
    if (info.needs != MethodNeeds::attention_branch) list.push_back(info.name);
  return list;
}

INSTANTIATE_TEST_SUITE_P(Methods, TrainerSmoke, ::testing::ValuesIn(plain_model_methods()),
                         [](const auto& info) {
                           auto name = info.param;
                           name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                           return name;
                         });

TEST(Checkpoint, RoundTripGivesIdenticalLogits) {
  const auto dir = test::fresh_dir("ckpt");
  auto model = tiny_model(4);
  model->train();
  model->forward(torch::randn({4, 3, 16, 16}));  // moves the BatchNorm statistics
  model->eval();
  save_checkpoint((dir / "m.pt").string(), *model, {}, {{"epoch", 7}});
  auto other = tiny_model(5);
  other->eval();
  const auto state = load_checkpoint((dir / "m.pt").string(), *other);
  EXPECT_EQ(state["epoch"], 7);
  const auto x = torch::randn({3, 3, 16, 16});
  EXPECT_TRUE(torch::equal(model->forward(x).logits, other->forward(x).logits));

  EXPECT_THROW(load_checkpoint((dir / "missing.pt").string(), *other), Error);
  test::write_file(dir / "garbage.pt", "not a checkpoint");
  EXPECT_THROW(load_checkpoint((dir / "garbage.pt").string(), *other), Error);
  auto wider = models::small_resnet({6, {1, 1, 1, 1}, 10});
  EXPECT_THROW(load_checkpoint((dir / "m.pt").string(), *wider), Error);
}

TEST(Checkpoint, DetectsDamageAndFallsBackToThePreviousOne) {
  const auto dir = test::fresh_dir("ckpt_damage");
  const auto path = (dir / "m.pt").string();
  auto model = tiny_model(4);
  save_checkpoint(path, *model, {}, {{"epoch", 1}});
  save_checkpoint(path, *model, {}, {{"epoch", 2}});  // epoch 1 becomes m.pt.prev
  ASSERT_TRUE(std::filesystem::exists(previous_checkpoint(path)));
  const auto good = test::read_file(path);
  const auto previous = test::read_file(previous_checkpoint(path));
  auto other = tiny_model(5);
  EXPECT_EQ(load_checkpoint(path, *other)["epoch"], 2);

  // One flipped byte in the payload; a truncated file; a missing one: epoch 1 from m.pt.prev.
  auto flipped = good;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 1);
  test::write_file(path, flipped);
  std::vector<std::string> notices;  // the fallback is reported, not silent
  set_notice_sink([&](const std::string& message) { notices.push_back(message); });
  EXPECT_EQ(load_checkpoint(path, *other)["epoch"], 1);
  set_notice_sink(nullptr);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("using the previous checkpoint"), std::string::npos) << notices[0];
  test::write_file(path, good.substr(0, good.size() - 100));
  EXPECT_EQ(load_checkpoint(path, *other)["epoch"], 1);
  std::filesystem::remove(path);
  EXPECT_EQ(load_checkpoint(path, *other)["epoch"], 1);

  // Without a previous checkpoint the damage is an error that says what is wrong.
  std::filesystem::remove(previous_checkpoint(path));
  test::write_file(path, flipped);
  test::expect_error_mentioning([&] { load_checkpoint(path, *other); }, "checksum");
  test::write_file(path, good.substr(0, good.size() - 100));
  test::expect_error_mentioning([&] { load_checkpoint(path, *other); }, "truncated");
  // A file that does not fit the model is not damage: no silent fallback.
  test::write_file(path, good);
  test::write_file(previous_checkpoint(path), previous);
  auto wider = models::small_resnet({6, {1, 1, 1, 1}, 10});
  test::expect_error_mentioning([&] { load_checkpoint(path, *wider); }, "does not fit");
}

TEST(Trainer, ResumedRunEndsWithTheWeightsOfAnUninterruptedOne) {
  const auto train_set = test::tiny_textured_set(40, 1);
  const NamedDataset val{"val", test::tiny_textured_set(16, 2)};
  const auto options = tiny_options("reff", 3);

  const auto straight_dir = test::fresh_dir("straight");
  auto straight = tiny_model();
  train(*straight, options, train_set, val, {}, straight_dir.string(), false);

  const auto resumed_dir = test::fresh_dir("resumed");
  auto first_part = options;
  first_part.epochs = 1;
  train(*tiny_model(), first_part, train_set, val, {}, resumed_dir.string(), false);
  auto resumed = tiny_model(99);  // a fresh process: other initial weights, all replaced
  const auto state = train(*resumed, options, train_set, val, {}, resumed_dir.string(), true);
  EXPECT_EQ(state["history"].size(), 3u);

  const auto a = weights(*straight), b = weights(*resumed);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(torch::equal(a[k], b[k])) << k;
  EXPECT_EQ(test::read_file(straight_dir / kMetrics).size() > 0, true);
}

// Produces NaN logits once poisoned, as a diverging network would.
struct PoisonableModel : models::TappedModel {
  PoisonableModel() : inner(register_module("inner", tiny_model())) {}
  models::Tapped forward(const torch::Tensor& x) override {
    auto out = inner->forward(x);
    if (poisoned) out.logits = out.logits * std::numeric_limits<float>::quiet_NaN();
    return out;
  }
  std::shared_ptr<models::ResNet> inner;
  bool poisoned = false;
};

TEST(Trainer, NanLossStopsWithAClearErrorAndKeepsTheLastGoodCheckpoint) {
  const auto dir = test::fresh_dir("nan");
  PoisonableModel model;
  TrainCallbacks callbacks;
  std::string after_first_epoch;
  callbacks.epoch_end = [&](const nlohmann::json&) {
    model.poisoned = true;
    after_first_epoch = test::read_file(dir / kLastCheckpoint);
  };
  try {
    train(model, tiny_options("reff", 3), test::tiny_textured_set(24, 1),
          {"val", test::tiny_textured_set(8, 2)}, {}, dir.string(), false, callbacks);
    FAIL() << "no error";
  } catch (const TrainingDiverged& e) {
    EXPECT_NE(std::string(e.what()).find("training diverged at epoch 2, step 1: loss is nan"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(test::read_file(dir / kLastCheckpoint), after_first_epoch);
  PoisonableModel reloaded;
  EXPECT_EQ(load_checkpoint((dir / kLastCheckpoint).string(), reloaded)["epoch"], 1);
}

TEST(Trainer, MaxStepsEndsTheRunInTheEpochOfItsLastStepWithAugmentation) {
  const auto dir = test::fresh_dir("max_steps");
  auto options = tiny_options("reff", 5);
  options.max_steps = 3;  // 40 samples / batch 8: the first epoch has 5 steps
  options.augment = true;
  const auto state = train(*tiny_model(), options, test::tiny_textured_set(40, 1),
                           {"val", test::tiny_textured_set(8, 2)}, {}, dir.string(), false);
  EXPECT_EQ(state["steps"], 3);
  EXPECT_EQ(state["history"].size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir / kLastCheckpoint));
  options.max_steps = -1;
  EXPECT_THROW(options.validate(), Error);
}

TEST(Trainer, AStopRequestMidEpochResumesToTheUninterruptedResult) {
  const auto train_set = test::tiny_textured_set(40, 1);  // 5 steps per epoch
  const NamedDataset val{"val", test::tiny_textured_set(16, 2)};
  const auto options = tiny_options("reff", 2);
  const auto straight_dir = test::fresh_dir("stop_straight");
  auto straight = tiny_model();
  const auto expected = train(*straight, options, train_set, val, {}, straight_dir.string(), false);

  const auto dir = test::fresh_dir("stop_resumed");
  int steps = 0;
  TrainCallbacks stop_after_7;
  stop_after_7.stop_requested = [&] { return ++steps == 7; };  // epoch 2, after its 2nd step
  EXPECT_THROW(train(*tiny_model(), options, train_set, val, {}, dir.string(), false, stop_after_7),
               TrainingInterrupted);
  auto resumed = tiny_model(99);
  const auto state = train(*resumed, options, train_set, val, {}, dir.string(), true);
  EXPECT_EQ(steps, 7);
  const auto a = weights(*straight), b = weights(*resumed);
  for (size_t k = 0; k < a.size(); ++k) EXPECT_TRUE(torch::equal(a[k], b[k])) << k;
  EXPECT_EQ(state["history"][1]["train"]["accuracy"], expected["history"][1]["train"]["accuracy"]);
  EXPECT_EQ(state["history"][1]["train"]["main_loss"],
            expected["history"][1]["train"]["main_loss"]);
  EXPECT_FALSE(state.contains("partial"));
}

TEST(Trainer, LambdaWarmsUpLinearly) {
  const auto dir = test::fresh_dir("warmup");
  auto options = tiny_options("reff", 3);
  options.lambda_warmup_epochs = 2;
  options.explanation.normalise = true;
  options.cam.rectifier = explain::CamRectifier::abs;
  const auto history =
      train(*tiny_model(), options, test::tiny_textured_set(24, 1),
            {"val", test::tiny_textured_set(8, 2)}, {}, dir.string(), false)["history"];
  ASSERT_EQ(history.size(), 3u);
  EXPECT_DOUBLE_EQ(history[0]["train"]["lambda"].get<double>(), options.lambda / 2);
  EXPECT_DOUBLE_EQ(history[1]["train"]["lambda"].get<double>(), options.lambda);
  EXPECT_DOUBLE_EQ(history[2]["train"]["lambda"].get<double>(), options.lambda);
  EXPECT_GT(history[2]["train"]["reff_loss"].get<double>(), 0);
  options.method = "reff-l1";  // normalising is for Eq. (3) only
  EXPECT_THROW(options.validate(), Error);
}

// The loss and every gradient of one step, with the loss as training_loss computes it and as the
// reference computes it (Grad-CAM of all four layers, then the weighted sum).
std::vector<torch::Tensor> loss_and_gradients(models::ResNet& model, const torch::Tensor& loss) {
  model.zero_grad();
  loss.backward();
  std::vector<torch::Tensor> all{loss.detach().clone()};
  for (const auto& p : model.parameters()) all.push_back(p.grad().clone());
  return all;
}

void expect_identical(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i;
}

TEST(Trainer, SkippedLayersAndMaskFreeBatchesGiveTheLossOfWeightZero) {
  auto model = tiny_model();
  model->train();
  const auto set = test::tiny_textured_set(8, 3);
  auto batch = set.batch(torch::arange(8));
  auto options = tiny_options("reff", 1);
  options.explanation.layer_weights = {0, 60, 0, 1000};
  const auto reference = [&](const data::Batch& b) {
    const auto forward = model->forward(b.images);
    explain::GradCamOptions cam;
    cam.create_graph = true;
    const auto maps = explain::grad_cam(forward, b.labels, {16, 16}, cam);
    const auto penalty = regularizers::explanation_loss(
        maps, b.masks, b.has_mask, regularizers::outside_mask, options.explanation);
    return torch::nn::functional::cross_entropy(forward.logits, b.labels) +
           options.lambda * penalty;
  };
  const auto skipped = loss_and_gradients(*model, training_loss(*model, batch, options).total);
  const auto full = loss_and_gradients(*model, reference(batch));
  EXPECT_GT(training_loss(*model, batch, options).explanation.item<double>(), 0);
  expect_identical(skipped, full);

  batch.has_mask.fill_(false);  // D2 without an annotator: no Grad-CAM at all
  batch.masked = 0;
  EXPECT_EQ(training_loss(*model, batch, options).explanation.item<double>(), 0);
  expect_identical(loss_and_gradients(*model, training_loss(*model, batch, options).total),
                   loss_and_gradients(*model, reference(batch)));
}

TEST(Trainer, RejectsBadOptions) {
  auto options = tiny_options("reff", 1);
  options.batch_size = 1;
  EXPECT_THROW(options.validate(), Error);
  options = tiny_options("reff", 0);
  EXPECT_THROW(options.validate(), Error);
  EXPECT_THROW(method_info("reff-l3"), Error);
}

}  // namespace
}  // namespace reff::train
