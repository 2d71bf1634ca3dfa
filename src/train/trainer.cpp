#include "reff/train/trainer.h"

#include "reff/data/augmentation.h"
#include "reff/data/rng.h"
#include "reff/device.h"
#include "reff/distributed/process_group.h"
#include "reff/error.h"
#include "reff/json_file.h"
#include "reff/regularizers/attention_map_loss.h"
#include "reff/regularizers/input_gradient_loss.h"
#include "reff/train/batch_loader.h"
#include "reff/train/checkpoint.h"

#include <ATen/Context.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <optional>
#include <utility>

namespace reff::train {
namespace fs = std::filesystem;

void TrainOptions::use_method(Method chosen) {
  method = chosen;
  if (const auto own = method_info(chosen).lambda) lambda = *own;
}

void TrainOptions::validate() const {
  REFF_REQUIRE(epochs > 0, "--epochs", "must be positive");
  REFF_REQUIRE(batch_size >= 2, "--batch-size", "must be at least 2 (BatchNorm needs two samples)");
  REFF_REQUIRE(lr > 0 && std::isfinite(lr), "--lr", "must be positive");
  REFF_REQUIRE(momentum >= 0 && momentum < 1, "--momentum", "must be in [0, 1)");
  REFF_REQUIRE(weight_decay >= 0, "--weight-decay", "must be non-negative");
  REFF_REQUIRE(max_steps >= 0, "--max-steps", "must be >= 0 (0: no limit)");
  REFF_REQUIRE(eval.explain_count >= 0, "--explain-count", "must be >= 0");
  REFF_REQUIRE(lambda >= 0 && std::isfinite(lambda), "--lambda", "must be non-negative");
  REFF_REQUIRE(lambda_warmup_epochs >= 0, "--lambda-warmup", "must be >= 0 epochs");
  const auto& info = method_info(method);
  REFF_REQUIRE(!explanation.normalise || info.needs != MethodNeeds::grad_cam ||
                   info.penalty == regularizers::outside_mask,
               "--cam-normalise", "only with --method reff (Eq. 3)");
  for (double w : explanation.layer_weights)
    REFF_REQUIRE(w >= 0 && std::isfinite(w), "--layer-weights", "must be >= 0");
}

double TrainOptions::lambda_at(int64_t epoch) const {
  if (lambda_warmup_epochs <= 0) return lambda;
  return lambda * std::min(1.0, double(epoch) / double(lambda_warmup_epochs));
}

LossTerms training_loss(models::TappedModel& model, const data::Batch& batch,
                        const TrainOptions& options) {
  LossTerms terms;
  const AutocastScope autocast(options.precision, batch.images.device().type());
  auto images = options.channels_last ? batch.images.contiguous(torch::MemoryFormat::ChannelsLast)
                                      : batch.images;
  const auto& method = method_info(options.method);
  const bool rrr = method.needs == MethodNeeds::input_gradients;
  if (rrr) images = images.detach().requires_grad_(true);
  const auto forward = model.forward(images);
  terms.logits = forward.logits;
  terms.main = torch::nn::functional::cross_entropy(forward.logits, batch.labels);
  if (method.needs == MethodNeeds::attention_branch) {
    REFF_REQUIRE(forward.attention.defined(), "--method abn", "the model has no attention branch");
    terms.main =
        terms.main + torch::nn::functional::cross_entropy(forward.attention_scores, batch.labels);
    terms.explanation =
        regularizers::attention_map_loss(forward.attention, batch.masks, batch.has_mask);
    terms.total = terms.main + options.lambda * terms.explanation;  // gamma * L_map
    return terms;
  }
  if (rrr) {
    terms.explanation =
        regularizers::input_gradient_loss(forward.logits, images, batch.masks, batch.has_mask);
    terms.total = terms.main + options.lambda * terms.explanation;
    return terms;
  }
  const bool penalised = method.needs == MethodNeeds::grad_cam;
  const auto& layer_weights = options.explanation.layer_weights;
  REFF_REQUIRE(!penalised || layer_weights.size() == forward.features.size(), "--layer-weights",
               std::to_string(layer_weights.size()) + " weights for " +
                   std::to_string(forward.features.size()) + " explained layers");
  // Only the layers with a weight are explained, and only batches with a mask (D2 without an
  // annotator has none): a skipped term is exactly the 0 its weight or mask would make it, at no
  // Grad-CAM and no double-backward graph.
  models::Tapped explained{forward.logits, {}, {}, {}};
  auto loss_options = options.explanation;
  loss_options.layer_weights.clear();
  for (size_t l = 0; penalised && l < forward.features.size(); ++l) {
    if (layer_weights[l] == 0) continue;
    explained.features.push_back(forward.features[l]);
    loss_options.layer_weights.push_back(layer_weights[l]);
  }
  const bool any_mask = batch.masked >= 0 ? batch.masked > 0 : batch.has_mask.any().item<bool>();
  if (!penalised || loss_options.layer_weights.empty() || !any_mask) {
    terms.explanation = torch::zeros({}, terms.main.options());
    terms.total = terms.main;
    return terms;
  }
  auto cam = options.cam;
  cam.create_graph = true;  // the maps feed the loss: double back-propagation
  const auto maps =
      explain::grad_cam(explained, batch.labels, {batch.images.size(2), batch.images.size(3)}, cam);
  terms.explanation = regularizers::explanation_loss(maps, batch.masks, batch.has_mask,
                                                     method.penalty, loss_options);
  terms.total = terms.main + options.lambda * terms.explanation;  // L = L_main + lambda L_ReFF
  return terms;
}

namespace {

std::vector<int64_t> shuffled(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  data::Rng rng(seed, 0x7EA1 + static_cast<uint64_t>(epoch));
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  return order;
}

void write_metrics(const fs::path& path, const nlohmann::json& history) {
  std::string lines;
  for (const auto& epoch : history) lines += epoch.dump() + "\n";
  write_text_file(path.string(), lines);
}

std::string fixed(double value, int digits) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

}  // namespace

nlohmann::json NamedDataset::evaluate(models::TappedModel& model,
                                      const eval::EvalOptions& options) const {
  auto result = eval::evaluate(model, data, options, groups);
  result.class_names = class_names;
  return result.to_json();
}

namespace {

// The losses and hits of an epoch so far.
struct EpochSums {
  double main = 0, explanation = 0;
  int64_t correct = 0, seen = 0;

  void add(const LossTerms& terms, const data::Batch& batch) {
    const int64_t b = batch.size();
    main += terms.main.item<double>() * b;
    explanation += terms.explanation.item<double>() * b;
    correct += terms.logits.argmax(1).eq(batch.labels).sum().item<int64_t>();
    seen += b;
  }
  EpochSums over_all_ranks() const {
    const auto sums = distributed::world().sum({main, explanation, double(correct), double(seen)});
    return {sums[0], sums[1], static_cast<int64_t>(sums[2]), static_cast<int64_t>(sums[3])};
  }
};

// What a checkpoint holds besides the weights, and what `train` returns (as JSON).
struct TrainerState {
  int64_t epoch = 0;  // the last finished epoch
  double best_val_accuracy = -1;
  int64_t best_epoch = 0;
  nlohmann::json history = nlohmann::json::array();      // one metrics record per epoch
  int64_t steps = 0;                                     // in all (--max-steps)
  std::optional<std::pair<double, int64_t>> loss_scale;  // fp16: scale, good steps
  // An interrupted epoch: the step to continue at, and the sums of all ranks so far.
  std::optional<std::pair<int64_t, EpochSums>> partial;

  nlohmann::json to_json() const {
    nlohmann::json j = {{"epoch", epoch},
                        {"best_val_accuracy", best_val_accuracy},
                        {"best_epoch", best_epoch},
                        {"history", history}};
    if (steps > 0) j["steps"] = steps;
    if (loss_scale)
      j["loss_scale"] = {{"scale", loss_scale->first}, {"good_steps", loss_scale->second}};
    if (partial) {
      const auto& [step, sums] = *partial;
      j["partial"] = {{"step", step},
                      {"main_sum", sums.main},
                      {"explanation_sum", sums.explanation},
                      {"correct", sums.correct},
                      {"seen", sums.seen}};
    }
    return j;
  }
  static TrainerState from_json(const nlohmann::json& j) {
    TrainerState state;
    state.epoch = j.at("epoch");
    state.best_val_accuracy = j.at("best_val_accuracy");
    state.best_epoch = j.at("best_epoch");
    state.history = j.at("history");
    state.steps = j.value("steps", int64_t(0));
    if (j.contains("loss_scale")) {
      state.loss_scale = {j["loss_scale"].at("scale"), j["loss_scale"].at("good_steps")};
    }
    if (j.contains("partial")) {
      const auto& p = j["partial"];
      state.partial = {p.at("step"),
                       {p.at("main_sum"), p.at("explanation_sum"), p.at("correct"), p.at("seen")}};
    }
    return state;
  }
};

// A non-finite loss on this rank (or, with `here` finite, on another): the run stops before the
// step, with the last checkpoint kept.
[[noreturn]] void diverged(int64_t epoch, int64_t step, const LossTerms& terms, double here,
                           const std::string& last, int64_t kept_epoch) {
  const auto where =
      "training diverged at epoch " + std::to_string(epoch) + ", step " + std::to_string(step + 1);
  const auto kept = "; " + last + " still holds epoch " + std::to_string(kept_epoch);
  if (std::isfinite(here)) throw TrainingDiverged(where + " on another rank" + kept);
  throw TrainingDiverged(where + ": loss is " + std::to_string(here) + " (main " +
                         std::to_string(terms.main.item<double>()) + ", explanation " +
                         std::to_string(terms.explanation.item<double>()) + ")" + kept);
}

// The epoch's metrics record before evaluation: its losses and accuracy over all ranks, its
// speed, the epoch against its steps, and, distributed, what the all-reduces took.
nlohmann::json epoch_record(int64_t epoch, double lambda, const EpochSums& sums, double seconds,
                            std::vector<double> step_seconds,
                            const distributed::CommunicationStats& communication_before) {
  nlohmann::json record = {{"epoch", epoch},
                           {"train",
                            {{"main_loss", sums.main / sums.seen},
                             {"explanation_loss", sums.explanation / sums.seen},
                             {"total_loss", (sums.main + lambda * sums.explanation) / sums.seen},
                             {"lambda", lambda},
                             {"accuracy", double(sums.correct) / sums.seen},
                             {"images_per_s", sums.seen / seconds},
                             {"seconds", seconds}}}};
  if (!step_seconds.empty()) {
    // The epoch against its steps alone: what loading, logging and the loop add.
    std::nth_element(step_seconds.begin(), step_seconds.begin() + step_seconds.size() / 2,
                     step_seconds.end());
    const double median = step_seconds[step_seconds.size() / 2];
    record["train"]["step_median_seconds"] = median;
    record["train"]["epoch_over_steps"] = seconds / (median * double(step_seconds.size()));
  }
  const auto& group = distributed::world();
  if (group.size() > 1) {  // this rank's gradient all-reduces in the epoch
    const auto now = group.communication();
    record["train"]["allreduce"] = {
        {"processes", group.size()},
        {"seconds", now.seconds - communication_before.seconds},
        {"share_of_epoch", (now.seconds - communication_before.seconds) / seconds},
        {"bytes_per_step", (now.bytes - communication_before.bytes) /
                               std::max<int64_t>(1, now.calls - communication_before.calls)}};
  }
  return record;
}

}  // namespace

nlohmann::json train(models::TappedModel& model, const TrainOptions& options,
                     const data::TensorDataset& train_set, const NamedDataset& val,
                     const std::vector<NamedDataset>& tests, const std::string& run_dir,
                     bool resume, const TrainCallbacks& callbacks) {
  options.validate();
  // Distributed (distributed/process_group.h): --batch-size is the global batch, split across the
  // ranks; each rank's gradient is weighted by its share, so the all-reduced gradient is the global
  // batch's. Only rank 0 evaluates and writes; the others wait for it at the next step.
  const auto& group = distributed::world();
  REFF_REQUIRE(train_set.size() >= 2, "train", "needs at least two samples");
  REFF_REQUIRE(options.batch_size >= 2 * group.size(), "--batch-size",
               "must be at least 2 per process (" + std::to_string(2 * group.size()) + " for " +
                   std::to_string(group.size()) + " processes): BatchNorm needs two samples");
  const fs::path dir(run_dir);
  if (group.writes()) fs::create_directories(dir);
  const auto last = (dir / kLastCheckpoint).string();
  const auto best = (dir / kBestCheckpoint).string();

  torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(options.lr)
                                                      .momentum(options.momentum)
                                                      .weight_decay(options.weight_decay));
  TrainerState state;
  if (resume) {
    // every rank reads rank 0's checkpoint
    state = TrainerState::from_json(load_checkpoint(last, model, {&optimizer}));
    if (group.writes()) write_metrics(dir / kMetrics, state.history);
  } else {
    require_no_checkpoint(last, run_dir, "a run (checkpoint-last.pt)");
  }

  group.broadcast(model);  // every rank starts from rank 0's weights
  const auto device = device_of(model);
  prepare_step_kernels(model, options.channels_last);
  LossScaler scaler(options.precision == Precision::fp16);
  if (state.loss_scale) scaler.restore(state.loss_scale->first, state.loss_scale->second);
  const auto limit_reached = [&] {
    return options.max_steps > 0 && state.steps >= options.max_steps;
  };
  const int64_t n = train_set.size();
  const int64_t steps_per_epoch = (n + options.batch_size - 1) / options.batch_size;
  for (int64_t epoch = state.epoch + 1; epoch <= options.epochs && !limit_reached(); ++epoch) {
    model.train();
    auto epoch_options = options;  // lambda of this epoch (warm-up)
    epoch_options.lambda = options.lambda_at(epoch);
    EpochSums sums;
    int64_t step = 0;
    if (state.partial) {  // an interrupted epoch continues at its next step
      step = state.partial->first;
      if (group.writes()) sums = state.partial->second;  // sums of all ranks: counted once
      state.partial.reset();
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<double> step_seconds;  // each step's compute, without building its batch
    const auto communication_before = group.communication();
    BatchLoader loader(
        {&train_set, shuffled(n, options.seed, epoch), options.batch_size, step, group.rank(),
         group.size(), device, options.augment, options.swap_backgrounds, options.seed, epoch},
        options.prefetch.value_or(device.is_cuda()));
    while (!limit_reached()) {
      auto loaded = loader.next();
      if (!loaded) break;
      step = loaded->step;
      const auto& batch = loaded->batch;
      const auto step_start = std::chrono::steady_clock::now();
      auto terms = training_loss(model, batch, epoch_options);
      const double total = terms.total.item<double>();
      // Agreed by all ranks: any non-finite loss stops every rank before the step; a stop request
      // on any rank stops every rank after it.
      const auto flags =
          group.sum({std::isfinite(total) ? 0.0 : 1.0,
                     callbacks.stop_requested && callbacks.stop_requested() ? 1.0 : 0.0});
      if (flags[0] > 0) diverged(epoch, step, terms, total, last, state.epoch);
      optimizer.zero_grad();
      scaler.scale(terms.total).backward();
      group.reduce_gradients(model.parameters(),
                             double(batch.size()) / double(loaded->global_size));
      if (scaler.unscale(model.parameters())) optimizer.step();  // fp16: skipped on overflow
      if (options.precision == Precision::fp16) {
        state.loss_scale = {scaler.current(), scaler.good_steps()};
      }

      sums.add(terms, batch);
      step_seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count());
      ++state.steps;
      if (callbacks.progress) {
        callbacks.progress(step + 1, steps_per_epoch,
                           "epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs) +
                               " loss " + fixed(sums.main / sums.seen, 3) + " reg " +
                               fixed(sums.explanation / sums.seen, 1));
      }
      if (flags[1] > 0) {
        // The epoch so far, so that --resume continues at the next step with the same result.
        state.partial = {step + 1, sums.over_all_ranks()};
        if (group.writes()) save_checkpoint(last, model, {&optimizer}, state.to_json());
        throw TrainingInterrupted("interrupted in epoch " + std::to_string(epoch) + " after step " +
                                  std::to_string(step + 1) + "; " + last +
                                  " holds that point: continue with --resume");
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto record = epoch_record(epoch, epoch_options.lambda, sums.over_all_ranks(), seconds,
                               std::move(step_seconds), communication_before);
    state.epoch = epoch;
    if (!group.writes()) continue;
    // Rank 0: evaluation, the best and last checkpoints, metrics.jsonl.
    record["val"] = val.evaluate(model, options.eval);
    record["val"]["name"] = val.name;
    for (const auto& test : tests) {
      record["tests"][test.name] = test.evaluate(model, options.eval);
    }
    state.history.push_back(record);
    const double val_accuracy = record["val"]["accuracy"].get<double>();
    if (val_accuracy > state.best_val_accuracy) {
      state.best_val_accuracy = val_accuracy;
      state.best_epoch = epoch;
      save_checkpoint(best, model, {}, state.to_json());
    }
    save_checkpoint(last, model, {&optimizer}, state.to_json());
    write_metrics(dir / kMetrics, state.history);
    if (callbacks.epoch_end) callbacks.epoch_end(record);
  }
  return state.to_json();
}

}  // namespace reff::train
