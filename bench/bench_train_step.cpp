// One training step (forward, loss, backward, SGD update) of the cpu preset's model on a batch of
// 32 Textured MNIST images, for each method: the ReFF/baseline step-time ratio.
#include "reff/train/run_config.h"

#include <benchmark/benchmark.h>
#include <torch/optim/sgd.h>

namespace {

using reff::train::Method;

void BM_TrainStep(benchmark::State& state) {
  auto config = reff::train::preset_config("cpu");
  config.train.method = static_cast<Method>(state.range(0));
  config.train_count = 64;
  const auto data = reff::train::build_train_set(config);
  auto model = reff::train::build_model(config);
  model->train();
  torch::optim::SGD optimizer(model->parameters(),
                              torch::optim::SGDOptions(config.train.lr).momentum(0.8));
  const auto batch = data.slice(0, config.train.batch_size);
  for (auto _ : state) {
    const auto terms = reff::train::training_loss(*model, batch, config.train);
    optimizer.zero_grad();
    terms.total.backward();
    optimizer.step();
  }
  state.SetItemsProcessed(state.iterations() * batch.size());
  state.SetLabel(reff::train::method_name(config.train.method));
}
BENCHMARK(BM_TrainStep)
    ->Arg(static_cast<int>(Method::baseline))
    ->Arg(static_cast<int>(Method::reff))
    ->Arg(static_cast<int>(Method::reff_l1))
    ->ArgName("method")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
