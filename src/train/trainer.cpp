#include "reff/train/trainer.h"

#include "reff/data/augmentation.h"
#include "reff/data/rng.h"
#include "reff/device.h"
#include "reff/distributed/process_group.h"
#include "reff/error.h"
#include "reff/json_file.h"
#include "reff/train/batch_loader.h"
#include "reff/train/checkpoint.h"

#include <ATen/Context.h>
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

void TrainOptions::use_method(const std::string& name) {
  const auto& defaults = method_info(name).defaults;
  method = name;
  if (defaults.lambda) lambda = *defaults.lambda;
  if (defaults.rectifier) cam.rectifier = *defaults.rectifier;
  if (defaults.target) cam.target = *defaults.target;
  if (defaults.normalise) explanation.normalise = *defaults.normalise;
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
  REFF_REQUIRE(!explanation.normalise || info.penalty == nullptr ||
                   info.penalty == regularizers::outside_mask,
               "--cam-normalise", "only with Eq. (3)'s penalty (--method reff or reff-focus)");
  for (double w : explanation.layer_weights)
    REFF_REQUIRE(w >= 0 && std::isfinite(w), "--layer-weights", "must be >= 0");
}

double TrainOptions::lambda_at(int64_t epoch) const {
  if (lambda_warmup_epochs <= 0) return lambda;
  return lambda * std::min(1.0, double(epoch) / double(lambda_warmup_epochs));
}

LossTerms training_loss(models::TappedModel& model, const data::Batch& batch,
                        const TrainOptions& options) {
  const AutocastScope autocast(options.precision, batch.images.device().type());
  const auto images = options.channels_last
                          ? batch.images.contiguous(torch::MemoryFormat::ChannelsLast)
                          : batch.images;
  const auto& method = method_info(options.method);
  auto [logits, main, term] = method.loss(method, model, images, batch, options);
  if (!term.defined()) return {logits, main, torch::zeros({}, main.options()), main};
  return {logits, main, term, main + options.lambda * term};  // L = L_main + lambda L_method
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

void add_evaluation(nlohmann::json& record, models::TappedModel& model,
                    const eval::EvalOptions& options, const NamedDataset& val,
                    const std::vector<NamedDataset>& tests) {
  record["val"] = val.evaluate(model, options);
  record["val"]["name"] = val.name;
  if (val.selects_on != "accuracy") record["val"]["selects_on"] = val.selects_on;
  for (const auto& test : tests) record["tests"][test.name] = test.evaluate(model, options);
}

double selection_score(const nlohmann::json& val) {
  const auto& score = val.at(val.value("selects_on", std::string("accuracy")));
  return score.is_number() && !std::isnan(score.get<double>()) ? score.get<double>() : -0.5;
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
nlohmann::json epoch_record(int64_t epoch, const char* term, double lambda, const EpochSums& sums,
                            double seconds, std::vector<double> step_seconds,
                            const distributed::CommunicationStats& communication_before) {
  nlohmann::json record = {{"epoch", epoch},
                           {"train",
                            {{"main_loss", sums.main / sums.seen},
                             {"total_loss", (sums.main + lambda * sums.explanation) / sums.seen},
                             {"lambda", lambda},
                             {"accuracy", double(sums.correct) / sums.seen},
                             {"images_per_s", sums.seen / seconds},
                             {"seconds", seconds}}}};
  if (term) record["train"][term] = sums.explanation / sums.seen;  // the method's own term
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

// Checks the run's sizes and makes its folder; resuming, reads the last checkpoint into the model
// and the optimizer (every rank reads rank 0's), else refuses a folder that holds one.
TrainerState open_run(models::TappedModel& model, torch::optim::Optimizer& optimizer,
                      const TrainOptions& options, int64_t train_size, const fs::path& dir,
                      bool resume) {
  options.validate();
  const auto& group = distributed::world();
  REFF_REQUIRE(train_size >= 2, "train", "needs at least two samples");
  REFF_REQUIRE(options.batch_size >= 2 * group.size(), "--batch-size",
               "must be at least 2 per process (" + std::to_string(2 * group.size()) + " for " +
                   std::to_string(group.size()) + " processes): BatchNorm needs two samples");
  if (group.writes()) fs::create_directories(dir);
  const auto last = (dir / kLastCheckpoint).string();
  if (!resume) {
    require_no_checkpoint(last, dir.string(), "a run (checkpoint-last.pt)");
    return {};
  }
  auto state = TrainerState::from_json(load_checkpoint(last, model, {&optimizer}));
  if (group.writes()) write_metrics(dir / kMetrics, state.history);
  return state;
}

// Rank 0 at the end of an epoch: evaluation, the best and last checkpoints, metrics.jsonl.
void finish_epoch(nlohmann::json record, TrainerState& state, models::TappedModel& model,
                  torch::optim::Optimizer& optimizer, const TrainOptions& options,
                  const NamedDataset& val, const std::vector<NamedDataset>& tests,
                  const fs::path& dir, const TrainCallbacks& callbacks) {
  const auto start = std::chrono::steady_clock::now();
  add_evaluation(record, model, options.eval, val, tests);
  record["evaluation_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.history.push_back(record);
  const double val_score = selection_score(record["val"]);  // above "no epoch yet" (-1)
  if (val_score > state.best_val_accuracy) {
    state.best_val_accuracy = val_score;
    state.best_epoch = state.epoch;
    save_checkpoint((dir / kBestCheckpoint).string(), model, {}, state.to_json());
  }
  save_checkpoint((dir / kLastCheckpoint).string(), model, {&optimizer}, state.to_json());
  write_metrics(dir / kMetrics, state.history);
  if (callbacks.epoch_end) callbacks.epoch_end(record);
}

// A stop request after `step` of `epoch`: the epoch so far goes into the last checkpoint, so that
// --resume continues at the next step with the same result.
[[noreturn]] void interrupt(int64_t epoch, int64_t step, const EpochSums& sums, TrainerState& state,
                            models::TappedModel& model, torch::optim::Optimizer& optimizer,
                            const std::string& last) {
  state.partial = {step + 1, sums.over_all_ranks()};
  if (distributed::world().writes()) save_checkpoint(last, model, {&optimizer}, state.to_json());
  throw TrainingInterrupted("interrupted in epoch " + std::to_string(epoch) + " after step " +
                            std::to_string(step + 1) + "; " + last +
                            " holds that point: continue with --resume");
}

std::string progress_status(int64_t epoch, int64_t epochs, const EpochSums& sums) {
  return "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + " loss " +
         fixed(sums.main / sums.seen, 3) + " reg " + fixed(sums.explanation / sums.seen, 1);
}

}  // namespace

nlohmann::json train(models::TappedModel& model, const TrainOptions& options,
                     const data::TensorDataset& train_set, const NamedDataset& val,
                     const std::vector<NamedDataset>& tests, const std::string& run_dir,
                     bool resume, const TrainCallbacks& callbacks) {
  // Distributed (distributed/process_group.h): --batch-size is the global batch, split across the
  // ranks; each rank's gradient is weighted by its share, so the all-reduced gradient is the global
  // batch's. Only rank 0 evaluates and writes; the others wait for it at the next step.
  const auto& group = distributed::world();
  const fs::path dir(run_dir);
  const auto last = (dir / kLastCheckpoint).string();
  torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(options.lr)
                                                      .momentum(options.momentum)
                                                      .weight_decay(options.weight_decay));
  auto state = open_run(model, optimizer, options, train_set.size(), dir, resume);
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
      if (options.precision == Precision::fp16)
        state.loss_scale = {scaler.current(), scaler.good_steps()};
      sums.add(terms, batch);
      step_seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start).count());
      ++state.steps;
      if (callbacks.progress) {
        callbacks.progress(step + 1, steps_per_epoch, progress_status(epoch, options.epochs, sums));
      }
      if (flags[1] > 0) interrupt(epoch, step, sums, state, model, optimizer, last);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto record =
        epoch_record(epoch, method_info(options.method).term, epoch_options.lambda,
                     sums.over_all_ranks(), seconds, std::move(step_seconds), communication_before);
    state.epoch = epoch;
    if (group.writes()) {
      finish_epoch(std::move(record), state, model, optimizer, options, val, tests, dir, callbacks);
    }
  }
  return state.to_json();
}

}  // namespace reff::train
