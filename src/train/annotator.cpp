#include "reff/train/annotator.h"

#include "reff/device.h"
#include "reff/distributed/batch_shard.h"
#include "reff/distributed/process_group.h"

#include "reff/data/rng.h"
#include "reff/error.h"
#include "reff/models/eval_mode.h"
#include "reff/names.h"
#include "reff/train/checkpoint.h"
#include "reff/train/training_loop.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <tuple>

namespace reff::train {
namespace F = torch::nn::functional;

void AnnotatorOptions::validate() const {
  REFF_REQUIRE(iterations > 0, "--iterations", "must be positive");
  REFF_REQUIRE(batch_size > 0, "--annotator-batch-size", "must be positive");
  REFF_REQUIRE(lr > 0 && beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "annotator",
               "Adam needs lr > 0 and betas in [0, 1)");
  REFF_REQUIRE(l1_weight >= 0, "--l1-weight", "must be non-negative");
  REFF_REQUIRE(generator_base > 0, "--generator-base", "must be positive");
  REFF_REQUIRE(discriminator_base > 0, "--discriminator-base", "must be positive");
  REFF_REQUIRE(checkpoint_every > 0, "annotator", "checkpoint interval must be positive");
}

nlohmann::json AnnotatorOptions::to_json() const {
  return {{"iterations", iterations},
          {"batch_size", batch_size},
          {"lr", lr},
          {"beta1", beta1},
          {"beta2", beta2},
          {"l1_weight", l1_weight},
          {"generator_base", generator_base},
          {"discriminator_base", discriminator_base},
          {"checkpoint_every", checkpoint_every},
          {"seed", seed}};
}

AnnotatorOptions AnnotatorOptions::from_json(const nlohmann::json& j) {
  AnnotatorOptions o;
  o.iterations = j.at("iterations");
  o.batch_size = j.at("batch_size");
  o.lr = j.at("lr");
  o.beta1 = j.at("beta1");
  o.beta2 = j.at("beta2");
  o.l1_weight = j.at("l1_weight");
  o.generator_base = j.at("generator_base");
  o.discriminator_base = j.at("discriminator_base");
  o.checkpoint_every = j.at("checkpoint_every");
  o.seed = j.at("seed");
  return o;
}

namespace {
// The presets' differences from the paper's AnnotatorOptions.
constexpr Named<int64_t> kPresetIterations[] = {{2000, "cpu"},
                                                {AnnotatorOptions{}.iterations, "paper"}};
}  // namespace

AnnotatorOptions annotator_preset(const std::string& preset) {
  AnnotatorOptions options;
  options.iterations = parse_named(kPresetIterations, "--preset", preset);
  return options;
}

namespace {
// The PatchGAN halves the image three times, then takes two 4x4 convolutions: 24 px leave it one
// patch.
int64_t checked_size(int64_t image_size) {
  REFF_REQUIRE(
      image_size >= 24, "--canvas",
      "the annotator's PatchGAN needs images of at least 24 px, not " + std::to_string(image_size));
  return image_size;
}
}  // namespace

Pix2Pix::Pix2Pix(int64_t image_size, const AnnotatorOptions& options)
    : generator(
          register_module("generator", std::make_shared<models::UNetGenerator>(
                                           checked_size(image_size), options.generator_base))),
      discriminator(register_module("discriminator", std::make_shared<models::PatchDiscriminator>(
                                                         options.discriminator_base))) {}

namespace {

torch::Tensor bce(const torch::Tensor& logits, float target) {
  return F::binary_cross_entropy_with_logits(logits, torch::full_like(logits, target));
}

// The CPU generator's state (dropout draws), kept in checkpoints so a resumed run continues
// exactly.
torch::Tensor rng_state() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}
void set_rng_state(const torch::Tensor& state) {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

}  // namespace

AnnotatorLosses annotator_step(Pix2Pix& model, torch::optim::Optimizer& g_optimizer,
                               torch::optim::Optimizer& d_optimizer, const data::Batch& batch,
                               double l1_weight, double share) {
  const auto& group = distributed::world();
  auto& g = *model.generator;
  auto& d = *model.discriminator;
  const auto s = batch.masks.unsqueeze(1);
  const auto fake = g.forward(batch.images);
  AnnotatorLosses losses;
  // D step: real pairs towards 1, generated pairs towards 0.
  losses.d = 0.5 * (bce(d.forward(batch.images, s), 1.0f) +
                    bce(d.forward(batch.images, fake.detach()), 0.0f));
  d_optimizer.zero_grad();
  losses.d.backward();
  group.reduce_gradients(d.parameters(), share);
  d_optimizer.step();
  // G step: fool D, stay close to s.
  losses.g_gan = bce(d.forward(batch.images, fake), 1.0f);
  losses.g_l1 = (fake - s).abs().mean();
  g_optimizer.zero_grad();
  (losses.g_gan + l1_weight * losses.g_l1).backward();
  group.reduce_gradients(g.parameters(), share);
  g_optimizer.step();
  return losses;
}

namespace {

// Batch `it` of D1, this process's shard of it, and the shard's share of the global batch. The
// batch depends only on (seed, it): a resumed run draws the same batches.
std::pair<data::Batch, double> annotator_batch(const AnnotatorOptions& options,
                                               const data::TensorDataset& annotated, int64_t it,
                                               torch::Device device) {
  const auto& group = distributed::world();
  data::Rng rng(options.seed, static_cast<uint64_t>(it));
  std::vector<int64_t> picks(options.batch_size);
  for (auto& k : picks) k = static_cast<int64_t>(rng.below(annotated.size()));
  const auto shard =
      distributed::batch_shard(picks, 0, options.batch_size, group.rank(), group.size());
  return {annotated.batch(torch::tensor(shard, torch::kInt64)).to(device),
          double(shard.size()) / double(options.batch_size)};
}

// The losses summed since the last metrics line. A run stopped between two lines keeps them in
// its checkpoint, so the resumed run writes the same lines as an uninterrupted one.
struct LossWindow {
  double g_gan = 0, g_l1 = 0, d = 0;
  int64_t iterations = 0;

  nlohmann::json to_json() const {
    return {{"g_gan", g_gan}, {"g_l1", g_l1}, {"d", d}, {"iterations", iterations}};
  }
  static LossWindow from_json(const nlohmann::json& j) {
    return {j.at("g_gan"), j.at("g_l1"), j.at("d"), j.at("iterations")};
  }
  nlohmann::json metrics_line(int64_t it, double seconds) const {
    return {{"iteration", it},
            {"g_gan", g_gan / iterations},
            {"g_l1", g_l1 / iterations},
            {"d", d / iterations},
            {"seconds", seconds}};
  }
};

// What annotator.pt holds besides the networks and optimisers, and what train_annotator returns.
struct AnnotatorState {
  int64_t iteration = 0;     // the last iteration saved
  std::vector<uint8_t> rng;  // the CPU generator's state then (dropout draws)
  LossWindow window;         // losses not yet in metrics.jsonl

  nlohmann::json to_json() const {
    nlohmann::json j = {{"iteration", iteration}};
    if (!rng.empty()) j["rng"] = rng;
    if (window.iterations > 0) j["window"] = window.to_json();
    return j;
  }
  static AnnotatorState from_json(const nlohmann::json& j) {
    AnnotatorState state;
    state.iteration = j.at("iteration");
    state.rng = j.at("rng").get<std::vector<uint8_t>>();
    if (j.contains("window")) state.window = LossWindow::from_json(j["window"]);
    return state;
  }
};

// The pseudo-annotator as the training loop's trainee: pix2pix iterations on batches drawn from
// D1, a metrics line and annotator.pt every checkpoint_every iterations and at the end.
// Distributed as the classifier (trainer.cpp): the batch is global, split by stride, gradients
// weighted by each rank's share and all-reduced; rank 0 writes.
class Annotator final : public Trainee {
 public:
  Annotator(Pix2Pix& model, const AnnotatorOptions& options, const data::TensorDataset& annotated,
            const std::string& run_dir, bool resume)
      : model_(model),
        options_(options),
        annotated_(annotated),
        checkpoint_((std::filesystem::path(run_dir) / kAnnotatorCheckpoint).string()),
        device_(device_of(*model.generator)),
        adam_(torch::optim::AdamOptions(options.lr).betas({options.beta1, options.beta2})),
        g_optimizer_(model.generator->parameters(), adam_),
        d_optimizer_(model.discriminator->parameters(), adam_) {
    options.validate();
    REFF_REQUIRE(annotated.size() > 0, "annotator", "no annotated samples to train on");
    const auto& group = distributed::world();
    REFF_REQUIRE(group.size() == 1 || options.batch_size >= 2 * group.size(), "--batch-size",
                 "the annotator's batch must give every process two images (" +
                     std::to_string(2 * group.size()) + ")");
    const auto saved = open_run_folder(run_dir, checkpoint_, "an annotator", resume, model,
                                       {&g_optimizer_, &d_optimizer_});
    const auto metrics_path = std::filesystem::path(run_dir) / "metrics.jsonl";
    if (saved) {
      state_ = AnnotatorState::from_json(*saved);
      set_rng_state(torch::tensor(state_.rng, torch::kUInt8));
    } else if (group.writes()) {
      std::ofstream(metrics_path, std::ios::trunc);
    }
    iteration_ = state_.iteration;
    model.train();
    if (group.writes()) metrics_.open(metrics_path, std::ios::app);
  }

  const AnnotatorState& state() const { return state_; }

  bool next_step() override {
    if (iteration_ >= options_.iterations) return false;
    ++iteration_;
    std::tie(batch_, share_) = annotator_batch(options_, annotated_, iteration_, device_);
    return true;
  }

  std::vector<double> step() override {
    losses_ =
        annotator_step(model_, g_optimizer_, d_optimizer_, batch_, options_.l1_weight, share_);
    return {share_ * losses_.g_gan.item<double>(), share_ * losses_.g_l1.item<double>(),
            share_ * losses_.d.item<double>()};
  }

  // The global batch's losses join the window; a metrics line and annotator.pt at its end.
  void complete_step(const std::vector<double>& losses) override {
    state_.window.g_gan += losses[0];
    state_.window.g_l1 += losses[1];
    state_.window.d += losses[2];
    ++state_.window.iterations;
    l1_ = losses[1];
    if (iteration_ % options_.checkpoint_every != 0 && iteration_ != options_.iterations) return;
    if (distributed::world().writes()) {
      metrics_ << state_.window.metrics_line(iteration_, seconds_since_start()).dump() << "\n";
      metrics_.flush();
    }
    state_.window = {};
    save();
  }

  std::string step_name() const override {
    return "annotator iteration " + std::to_string(iteration_);
  }
  std::string loss_words(const std::vector<double>& losses) const override {
    return "G adversarial " + std::to_string(losses[0]) + ", G L1 " + std::to_string(losses[1]) +
           ", D " + std::to_string(losses[2]);
  }
  std::string checkpoint_holds() const override {
    return "iteration " + std::to_string(state_.iteration);
  }
  std::string checkpoint_path() const override { return checkpoint_; }
  std::tuple<int64_t, int64_t, std::string> progress() const override {
    return {iteration_, options_.iterations, "L1 " + std::to_string(l1_).substr(0, 6)};
  }

  bool save_stop_point() override {
    if (state_.iteration != iteration_) save();
    return iteration_ < options_.iterations;
  }

 private:
  // annotator.pt holds iteration_, with the window of losses not yet logged.
  void save() {
    state_.iteration = iteration_;
    const auto rng = rng_state().contiguous();
    state_.rng.assign(rng.data_ptr<uint8_t>(), rng.data_ptr<uint8_t>() + rng.numel());
    if (distributed::world().writes()) {
      save_checkpoint(checkpoint_, model_, {&g_optimizer_, &d_optimizer_}, state_.to_json());
    }
  }
  double seconds_since_start() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  Pix2Pix& model_;
  const AnnotatorOptions& options_;
  const data::TensorDataset& annotated_;
  const std::string checkpoint_;
  const torch::Device device_;
  const torch::optim::AdamOptions adam_;
  torch::optim::Adam g_optimizer_, d_optimizer_;
  AnnotatorState state_;
  std::ofstream metrics_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  // The iteration under way.
  int64_t iteration_ = 0;
  data::Batch batch_;
  double share_ = 1;
  AnnotatorLosses losses_;
  double l1_ = 0;  // the global batch's, for progress
};

}  // namespace

nlohmann::json train_annotator(Pix2Pix& model, const AnnotatorOptions& options,
                               const data::TensorDataset& annotated, const std::string& run_dir,
                               bool resume, const TrainCallbacks& callbacks) {
  Annotator annotator(model, options, annotated, run_dir, resume);
  run_training_loop(annotator, callbacks);
  return annotator.state().to_json();
}

torch::Tensor pseudo_annotate(models::UNetGenerator& generator, const data::TensorDataset& data,
                              int64_t batch_size) {
  models::EvalMode eval_mode(generator);
  torch::InferenceMode inference;
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < data.size(); begin += batch_size) {
    const auto batch =
        data.slice(begin, std::min(data.size(), begin + batch_size)).to(device_of(generator));
    parts.push_back(generator.forward(batch.images).squeeze(1).cpu());
  }
  return torch::cat(parts);
}

MaskOverlap mask_overlap(const torch::Tensor& predicted, const torch::Tensor& truth) {
  REFF_REQUIRE(predicted.sizes() == truth.sizes(), "mask_overlap", "sizes differ");
  const auto p = (predicted >= 0.5).flatten(1).to(torch::kFloat64);
  const auto t = (truth >= 0.5).flatten(1).to(torch::kFloat64);
  const auto intersection = (p * t).sum(1);
  const auto sizes = p.sum(1) + t.sum(1);
  const auto union_ = sizes - intersection;
  const auto empty = sizes == 0;
  const auto iou = torch::where(empty, torch::ones_like(union_), intersection / union_);
  const auto dice = torch::where(empty, torch::ones_like(sizes), 2 * intersection / sizes);
  return {iou.mean().item<double>(), dice.mean().item<double>()};
}

}  // namespace reff::train
