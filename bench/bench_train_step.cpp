// One training step (forward, loss, backward, SGD update) for each method, on the shapes that
// bench/peer.py times in PyTorch (bench/compare.py prints both side by side):
//   model 0: the cpu preset's small ResNet, 40 px, batch 32, lambda 1e-4 (ABN: gamma 10)
//   model 1: ResNet-50, 224 px, batch 4, lambda 1e-6
// Inputs as in the peer: standard-normal images, labels b % 10, a centred square mask.
// Also the pseudo-annotator's pix2pix iteration (cpu preset: 40 px, batch 4, Adam) and inference
// (InferenceMode: forward() and the folded predictor evaluation runs) on the same batches.
#include "reff/eval/evaluation.h"
#include "reff/models/eval_mode.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_config.h"
#include "reff/train/annotator.h"
#include "reff/train/step_timing.h"

#include <benchmark/benchmark.h>
#include <torch/optim/adam.h>

namespace {

// The methods timed, by their index in the benchmark's arguments.
constexpr const char* kMethods[] = {"baseline", "reff", "reff-l1", "abn"};

struct Case {
  reff::run::RunConfig config;
  reff::data::Batch batch;
};

Case make_case(int64_t model) {
  Case c{reff::run::preset_config(model == 0 ? "cpu" : "paper"), {}};
  c.config.num_classes = 10;
  const int64_t size = c.config.data.canvas;
  const int64_t b = model == 0 ? 32 : 4;
  c.config.train.batch_size = b;
  torch::manual_seed(0);
  c.batch = reff::train::synthetic_batch(b, size, 10);
  return c;
}

void BM_TrainStep(benchmark::State& state) {
  auto c = make_case(state.range(0));
  c.config.train.use_method(kMethods[state.range(1)]);  // abn: the paper's gamma, 10
  auto model = reff::run::build_model(c.config);
  reff::train::TrainStepper stepper(*model, c.config.train);
  for (int i = 0; i < 2; ++i) stepper.step(c.batch);  // untimed, as the peer takes them
  for (auto _ : state) stepper.step(c.batch);
  state.SetItemsProcessed(state.iterations() * c.batch.size());
  state.SetLabel(c.config.model + "/" + c.config.train.method);
}
BENCHMARK(BM_TrainStep)
    ->ArgsProduct({{0}, {0, 1, 2, 3}})
    ->ArgsProduct({{1}, {0, 1}})
    ->ArgNames({"model", "method"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_AnnotatorStep(benchmark::State& state) {
  auto c = make_case(0);
  const auto options = reff::train::annotator_preset("cpu");
  const auto first = [&](const torch::Tensor& t) { return t.narrow(0, 0, options.batch_size); };
  const reff::data::Batch annotated{first(c.batch.images), first(c.batch.labels),
                                    first(c.batch.masks), first(c.batch.has_mask)};
  reff::train::Pix2Pix model(c.config.data.canvas, options);
  model.train();
  const auto adam = torch::optim::AdamOptions(options.lr).betas({options.beta1, options.beta2});
  torch::optim::Adam g_optimizer(model.generator->parameters(), adam);
  torch::optim::Adam d_optimizer(model.discriminator->parameters(), adam);
  for (auto _ : state) {
    reff::train::annotator_step(model, g_optimizer, d_optimizer, annotated, options.l1_weight);
  }
  state.SetItemsProcessed(state.iterations() * options.batch_size);
  state.SetLabel("small/pix2pix");
}
BENCHMARK(BM_AnnotatorStep)->Unit(benchmark::kMillisecond)->UseRealTime();

// The layouts and paths timed by BM_Inference, by their index in the benchmark's arguments:
// forward() on NCHW and on channels-last input, and the predictor evaluation runs (BatchNorm
// folded, channels-last input).
constexpr const char* kInferenceLabels[] = {"/inference", "/inference-nhwc", "/inference-folded"};

void BM_Inference(benchmark::State& state) {
  auto c = make_case(state.range(0));
  auto model = reff::run::build_model(c.config);
  reff::models::EvalMode eval_mode(*model);
  torch::InferenceMode inference;
  const int64_t path = state.range(1);
  const auto images =
      path == 0 ? c.batch.images : c.batch.images.contiguous(torch::MemoryFormat::ChannelsLast);
  if (path == 2) {
    const auto predictor = model->predictor();
    for (auto _ : state) benchmark::DoNotOptimize(predictor->logits(images));
  } else {
    for (auto _ : state) benchmark::DoNotOptimize(model->forward(images).logits);
  }
  state.SetItemsProcessed(state.iterations() * c.batch.size());
  state.SetLabel(c.config.model + kInferenceLabels[path]);
}
BENCHMARK(BM_Inference)
    ->ArgsProduct({{0, 1}, {0, 1, 2}})
    ->ArgNames({"model", "path"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
