#include "reff/train/trainer.h"

#include "reff/data/augmentation.h"
#include "reff/data/rng.h"
#include "reff/device.h"
#include "reff/distributed/process_group.h"
#include "reff/error.h"
#include "reff/json_file.h"
#include "reff/train/batch_loader.h"
#include "reff/train/checkpoint.h"
#include "reff/train/training_loop.h"

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

bool runs_channels_last(const TrainOptions& options, const torch::Device& device) {
  const auto needs = method_info(options.method).needs;
  return options.channels_last.value_or(
      device.is_cpu() && (needs == MethodNeeds::nothing || needs == MethodNeeds::attention_branch));
}

LossTerms training_loss(models::TappedModel& model, const data::Batch& batch,
                        const TrainOptions& options) {
  const AutocastScope autocast(options.precision, batch.images.device().type());
  const auto images = runs_channels_last(options, batch.images.device())
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

std::string progress_status(int64_t epoch, int64_t epochs, const EpochSums& sums) {
  return "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + " loss " +
         fixed(sums.main / sums.seen, 3) + " reg " + fixed(sums.explanation / sums.seen, 1);
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The classifier as the training loop's trainee: epochs of steps over the shuffled training set,
// each epoch ended by evaluation, the best and last checkpoints and metrics.jsonl (rank 0).
// Distributed (distributed/process_group.h): --batch-size is the global batch, split across the
// ranks; each rank's gradient is weighted by its share, so the all-reduced gradient is the global
// batch's. Only rank 0 evaluates and writes; the others wait for it at the next step.
class Classifier final : public Trainee {
 public:
  Classifier(models::TappedModel& model, const TrainOptions& options,
             const data::TensorDataset& train_set, const NamedDataset& val,
             const std::vector<NamedDataset>& tests, const fs::path& dir, bool resume,
             const TrainCallbacks& callbacks)
      : model_(model),
        options_(options),
        train_set_(train_set),
        val_(val),
        tests_(tests),
        dir_(dir),
        callbacks_(callbacks),
        optimizer_(model.parameters(), torch::optim::SGDOptions(options.lr)
                                           .momentum(options.momentum)
                                           .weight_decay(options.weight_decay)),
        scaler_(options.precision == Precision::fp16),
        device_(device_of(model)),
        steps_per_epoch_((train_set.size() + options.batch_size - 1) / options.batch_size) {
    options.validate();
    const auto& group = distributed::world();
    REFF_REQUIRE(train_set.size() >= 2, "train", "needs at least two samples");
    REFF_REQUIRE(options.batch_size >= 2 * group.size(), "--batch-size",
                 "must be at least 2 per process (" + std::to_string(2 * group.size()) + " for " +
                     std::to_string(group.size()) + " processes): BatchNorm needs two samples");
    const auto saved = open_run_folder(dir.string(), checkpoint_path(),
                                       "a run (checkpoint-last.pt)", resume, model, {&optimizer_});
    if (saved) {
      state_ = TrainerState::from_json(*saved);
      if (group.writes()) write_metrics(dir / kMetrics, state_.history);
    }
    prepare_step_kernels(model, runs_channels_last(options, device_));
    if (state_.loss_scale) scaler_.restore(state_.loss_scale->first, state_.loss_scale->second);
  }

  const TrainerState& state() const { return state_; }

  bool next_step() override {
    while (true) {
      if (loader_ && !limit_reached()) {
        loaded_ = loader_->next();
        if (loaded_) return true;
      }
      if (loader_) finish_epoch();
      if (limit_reached() || state_.epoch >= options_.epochs) return false;
      start_epoch();
    }
  }

  std::vector<double> step() override {
    step_start_ = Clock::now();
    terms_ = training_loss(model_, loaded_->batch, epoch_options_);
    return {terms_.total.item<double>() * share()};
  }

  void complete_step(const std::vector<double>&) override {
    optimizer_.zero_grad();
    scaler_.scale(terms_.total).backward();
    distributed::world().reduce_gradients(model_.parameters(), share());
    if (scaler_.unscale(model_.parameters())) optimizer_.step();  // fp16: skipped on overflow
    if (options_.precision == Precision::fp16)
      state_.loss_scale = {scaler_.current(), scaler_.good_steps()};
    sums_.add(terms_, loaded_->batch);
    step_seconds_.push_back(seconds_since(step_start_));
    ++state_.steps;
  }

  std::string step_name() const override {
    return "epoch " + std::to_string(epoch_) + ", step " + std::to_string(loaded_->step + 1);
  }
  std::string loss_words(const std::vector<double>&) const override {
    return "loss is " + std::to_string(terms_.total.item<double>()) + " (main " +
           std::to_string(terms_.main.item<double>()) + ", explanation " +
           std::to_string(terms_.explanation.item<double>()) + ")";
  }
  std::string checkpoint_holds() const override { return "epoch " + std::to_string(state_.epoch); }
  std::string checkpoint_path() const override { return (dir_ / kLastCheckpoint).string(); }
  std::tuple<int64_t, int64_t, std::string> progress() const override {
    return {loaded_->step + 1, steps_per_epoch_, progress_status(epoch_, options_.epochs, sums_)};
  }

  // The epoch so far goes into the last checkpoint: --resume continues at the next step.
  bool save_stop_point() override {
    state_.partial = {loaded_->step + 1, sums_.over_all_ranks()};
    if (distributed::world().writes()) {
      save_checkpoint(checkpoint_path(), model_, {&optimizer_}, state_.to_json());
    }
    return true;
  }

 private:
  bool limit_reached() const {
    return options_.max_steps > 0 && state_.steps >= options_.max_steps;
  }
  double share() const { return double(loaded_->batch.size()) / double(loaded_->global_size); }

  void start_epoch() {
    const auto& group = distributed::world();
    epoch_ = state_.epoch + 1;
    model_.train();
    epoch_options_ = options_;  // lambda of this epoch (warm-up)
    epoch_options_.lambda = options_.lambda_at(epoch_);
    sums_ = {};
    int64_t first_step = 0;
    if (state_.partial) {  // an interrupted epoch continues at its next step
      first_step = state_.partial->first;
      if (group.writes()) sums_ = state_.partial->second;  // sums of all ranks: counted once
      state_.partial.reset();
    }
    epoch_start_ = Clock::now();
    step_seconds_.clear();
    communication_before_ = group.communication();
    loader_.emplace(EpochPlan{&train_set_, shuffled(train_set_.size(), options_.seed, epoch_),
                              options_.batch_size, first_step, group.rank(), group.size(), device_,
                              options_.augment, options_.swap_backgrounds, options_.seed, epoch_},
                    options_.prefetch.value_or(device_.is_cuda()));
  }

  // The epoch's record; on rank 0 evaluation, the best and last checkpoints and metrics.jsonl.
  void finish_epoch() {
    loader_.reset();
    auto record = epoch_record(epoch_, method_info(options_.method).term, epoch_options_.lambda,
                               sums_.over_all_ranks(), seconds_since(epoch_start_),
                               std::move(step_seconds_), communication_before_);
    state_.epoch = epoch_;
    if (!distributed::world().writes()) return;
    const auto start = Clock::now();
    add_evaluation(record, model_, options_.eval, val_, tests_);
    record["evaluation_seconds"] = seconds_since(start);
    state_.history.push_back(record);
    const double val_score = selection_score(record["val"]);  // above "no epoch yet" (-1)
    if (val_score > state_.best_val_accuracy) {
      state_.best_val_accuracy = val_score;
      state_.best_epoch = state_.epoch;
      save_checkpoint((dir_ / kBestCheckpoint).string(), model_, {}, state_.to_json());
    }
    save_checkpoint(checkpoint_path(), model_, {&optimizer_}, state_.to_json());
    write_metrics(dir_ / kMetrics, state_.history);
    if (callbacks_.epoch_end) callbacks_.epoch_end(record);
  }

  models::TappedModel& model_;
  const TrainOptions& options_;
  const data::TensorDataset& train_set_;
  const NamedDataset& val_;
  const std::vector<NamedDataset>& tests_;
  const fs::path dir_;
  const TrainCallbacks& callbacks_;
  torch::optim::SGD optimizer_;
  LossScaler scaler_;
  const torch::Device device_;
  const int64_t steps_per_epoch_;
  TrainerState state_;
  // The epoch under way.
  int64_t epoch_ = 0;
  TrainOptions epoch_options_;
  EpochSums sums_;
  std::optional<BatchLoader> loader_;
  std::optional<LoadedBatch> loaded_;
  LossTerms terms_;
  Clock::time_point epoch_start_, step_start_;
  std::vector<double> step_seconds_;  // each step's compute, without building its batch
  distributed::CommunicationStats communication_before_;
};

}  // namespace

nlohmann::json train(models::TappedModel& model, const TrainOptions& options,
                     const data::TensorDataset& train_set, const NamedDataset& val,
                     const std::vector<NamedDataset>& tests, const std::string& run_dir,
                     bool resume, const TrainCallbacks& callbacks) {
  Classifier classifier(model, options, train_set, val, tests, run_dir, resume, callbacks);
  run_training_loop(classifier, callbacks);
  return classifier.state().to_json();
}

}  // namespace reff::train
