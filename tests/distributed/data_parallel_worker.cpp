// One rank of the data-parallel tests (tests/distributed/data_parallel.sh), started by
// `reff launch --program` or with RANK / WORLD_SIZE set by hand:
//   data_parallel_worker train OUT STEPS [STOP]
//                                          ReFF (double back-propagation) on a CNN without
//                                          BatchNorm, global batch 8; rank 0 writes OUT's
//                                          checkpoint; every rank touches OUT/rank<R>.started at
//                                          its first step. STOP > 0: rank 1 asks to stop after
//                                          that step (exit 130, as SIGINT would); a folder that
//                                          holds a checkpoint is resumed
//   data_parallel_worker train-bn OUT STEPS SYNC
//                                          the same CNN with BatchNorm after each convolution,
//                                          synchronised when SYNC is 1
//   data_parallel_worker compare A B TOL [bn]
//                                          exit 0 when the final weights of runs A and B agree
//                                          within TOL (max absolute difference), 1 otherwise
#include "reff/distributed/process_group.h"
#include "reff/models/batch_norm.h"
#include "reff/models/tapped_model.h"
#include "reff/threads.h"
#include "reff/train/checkpoint.h"
#include "reff/train/trainer.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

// Two convolutions (each followed by BatchNorm when `norm`) and a linear head.
struct TestCnn : reff::models::TappedModel {
  explicit TestCnn(bool norm)
      : conv1(register_module("conv1",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1)))),
        conv2(register_module(
            "conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 16, 3).padding(1).stride(2)))),
        fc(register_module("fc", torch::nn::Linear(16, 4))) {
    if (norm) {
      bn1 = register_module("bn1", reff::models::BatchNorm2d(8));
      bn2 = register_module("bn2", reff::models::BatchNorm2d(16));
    }
  }

  reff::models::Tapped forward(const torch::Tensor& x) override {
    auto a1 = conv1(x);
    if (bn1) a1 = bn1(a1);
    a1 = torch::relu(a1);
    auto a2 = conv2(a1);
    if (bn2) a2 = bn2(a2);
    a2 = torch::relu(a2);
    return {fc(a2.mean({2, 3})), {a1, a2}};
  }

  torch::nn::Conv2d conv1, conv2;
  torch::nn::Linear fc;
  reff::models::BatchNorm2d bn1{nullptr}, bn2{nullptr};
};

// 64 images of 16 px: label = the quadrant that is brightest, mask = that quadrant.
reff::data::TensorDataset quadrant_data(int64_t count, uint64_t seed) {
  torch::manual_seed(seed);
  auto images = torch::randint(0, 128, {count, 3, 16, 16}, torch::kUInt8);
  const auto labels = torch::randint(0, 4, {count}, torch::kInt64);
  auto masks = torch::zeros({count, 16, 16}, torch::kUInt8);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t q = labels[i].item<int64_t>(), y = (q / 2) * 8, x = (q % 2) * 8;
    images[i].slice(1, y, y + 8).slice(2, x, x + 8).add_(100);
    masks[i].slice(0, y, y + 8).slice(1, x, x + 8).fill_(255);
  }
  return {images, labels, masks, torch::ones({count}, torch::kBool)};
}

int train(const std::string& out, int64_t steps, int64_t stop_after, bool norm, bool sync) {
  const auto& group = reff::distributed::join_world(reff::distributed::read_launch_environment(),
                                                    {std::chrono::seconds(20), "gloo"});
  reff::use_threads(1);
  torch::manual_seed(1234 + group.rank());  // differing initial weights: the broadcast aligns them
  TestCnn model(norm);
  if (sync) reff::models::synchronise_batchnorm(model);
  reff::train::TrainOptions options;
  options.method = "reff";
  options.explanation.layer_weights = {1, 4};
  options.lambda = 1e-2;
  options.lr = 0.05;
  options.batch_size = 8;
  options.epochs = 1000;
  options.max_steps = steps;
  options.seed = 7;
  options.eval.explain_count = 8;
  reff::train::TrainCallbacks callbacks;
  int64_t done = 0;                 // steps of this session
  callbacks.stop_requested = [&] {  // asked before the step's update: stop after it
    return stop_after > 0 && group.rank() == 1 && done + 1 >= stop_after;
  };
  callbacks.progress = [&](int64_t, int64_t, const std::string&) {
    ++done;
    const auto marker =
        std::filesystem::path(out) / ("rank" + std::to_string(group.rank()) + ".started");
    if (!std::filesystem::exists(marker)) std::ofstream(marker.string()) << "started\n";
  };
  std::filesystem::create_directories(out);
  const bool resume =
      std::filesystem::exists(std::filesystem::path(out) / reff::train::kLastCheckpoint);
  try {
    reff::train::train(model, options, quadrant_data(64, 1), {"val", quadrant_data(16, 2)}, {}, out,
                       resume, callbacks);
  } catch (const reff::train::TrainingInterrupted& e) {
    std::fprintf(stderr, "rank %d stopped: %s\n", group.rank(), e.what());
    return 130;
  }
  return 0;
}

int compare(const std::string& a, const std::string& b, double tolerance, bool norm) {
  TestCnn first(norm), second(norm);
  reff::train::load_checkpoint((std::filesystem::path(a) / reff::train::kLastCheckpoint).string(),
                               first);
  reff::train::load_checkpoint((std::filesystem::path(b) / reff::train::kLastCheckpoint).string(),
                               second);
  double worst = 0;
  const auto p = first.parameters(), q = second.parameters();
  for (size_t i = 0; i < p.size(); ++i) {
    worst = std::max(worst, (p[i] - q[i]).abs().max().item<double>());
  }
  std::printf("max |difference| of the final weights: %.3g (tolerance %.3g)\n", worst, tolerance);
  return worst <= tolerance ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "train" && (argc == 4 || argc == 5)) {
      return train(argv[2], std::atoll(argv[3]), argc == 5 ? std::atoll(argv[4]) : 0, false, false);
    }
    if (mode == "train-bn" && argc == 5) {
      return train(argv[2], std::atoll(argv[3]), 0, true, std::string(argv[4]) == "1");
    }
    if (mode == "compare" && (argc == 5 || argc == 6)) {
      return compare(argv[2], argv[3], std::atof(argv[4]), argc == 6);
    }
    std::fprintf(
        stderr,
        "usage: %s train OUT STEPS [STOP] | train-bn OUT STEPS SYNC | compare A B TOL [bn]\n",
        argv[0]);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "failed: %s\n", e.what());
    return 1;
  }
}
