// One whole epoch of `reff train --preset cpu`, as a user runs it (issue #34): the training set's
// batches built from its stored images, the steps, evaluation of val and the two test sets (each
// with explanation metrics on its first 256 images), the best and last checkpoints and
// metrics.jsonl. On the preset's own data (Textured MNIST from data/mnist, generated once, untimed)
// and model, from a fresh initialisation; bench/peer.py times the same loop in PyTorch.
// Counters: the epoch against its steps (steps x their median) and evaluation's share of it.
#include "reff/run/run_assembly.h"
#include "reff/run/run_config.h"
#include "reff/train/trainer.h"

#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>

namespace {

struct PresetData {
  reff::run::RunConfig config = reff::run::preset_config("cpu");
  reff::data::TensorDataset train;
  reff::train::NamedDataset val;
  std::vector<reff::train::NamedDataset> tests;

  PresetData() {
    reff::run::check_dataset_files(config);
    config.num_classes = reff::run::dataset_classes(config);
    train = reff::run::build_train_set(config);
    val = reff::run::build_val_set(config);
    for (const auto& spec : config.tests) tests.push_back(reff::run::build_test_set(config, spec));
  }
};

const PresetData& preset_data() {
  static const auto data = std::make_unique<PresetData>();
  return *data;
}

void BM_Epoch(benchmark::State& state) {
  const auto& data = preset_data();
  auto options = data.config.train;
  options.use_method(state.range(0) == 0 ? "baseline" : "reff");
  options.epochs = 1;
  const auto dir = std::filesystem::temp_directory_path() / "reff-bench-epoch";
  nlohmann::json epoch;
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove_all(dir);
    auto model = reff::run::build_model(data.config);
    state.ResumeTiming();
    epoch = reff::train::train(*model, options, data.train, data.val, data.tests, dir.string(),
                               false)["history"][0];
  }
  std::filesystem::remove_all(dir);
  const auto& record = epoch["train"];
  const double steps = record["seconds"].get<double>() / record["epoch_over_steps"].get<double>();
  const double whole = record["seconds"].get<double>() + epoch["evaluation_seconds"].get<double>();
  state.SetItemsProcessed(state.iterations() * data.train.size());
  state.counters["epoch_over_steps"] = whole / steps;
  state.counters["evaluation_share"] = epoch["evaluation_seconds"].get<double>() / whole;
  state.counters["train_images"] = double(data.train.size());
  state.counters["val_images"] = double(data.val.data.size());
  state.counters["test_images"] = double(data.tests.at(0).data.size());  // each test set's
  state.SetLabel(std::string("epoch/") + options.method);
}
BENCHMARK(BM_Epoch)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("method")
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
