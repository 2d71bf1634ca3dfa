// Your own CNN, trained with ReFF. reff needs nothing from a model but its logits and the feature
// maps of the layers to explain: derive from reff::models::TappedModel and return both.
//
//   build/own_cnn [steps]     (default 60; uses data/mnist from scripts/install-deps)
#include "reff/data/tensor_dataset.h"
#include "reff/data/texture_bank_choice.h"
#include "reff/models/tapped_model.h"
#include "reff/threads.h"
#include "reff/train/trainer.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>

// Two convolutions and a linear classifier; both convolutions' outputs are explained.
struct TinyCnn : reff::models::TappedModel {
  TinyCnn()
      : conv1(register_module("conv1",
                              torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 16, 3).padding(1)))),
        conv2(register_module(
            "conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1).stride(2)))),
        fc(register_module("fc", torch::nn::Linear(32, 10))) {}

  reff::models::Tapped forward(const torch::Tensor& x) override {
    const auto a1 = torch::relu(conv1(x));
    const auto a2 = torch::relu(conv2(a1));
    return {fc(a2.mean({2, 3})), {a1, a2}};
  }

  torch::nn::Conv2d conv1, conv2;
  torch::nn::Linear fc;
};

int main(int argc, char** argv) {
  const int64_t steps = argc > 1 ? std::atoll(argv[1]) : 60;
  reff::use_threads();
  torch::manual_seed(0);

  // 512 Textured MNIST images, 32 px, background a perfect cue for the label (p = 0).
  reff::data::TexturedMnistOptions data_options;
  data_options.canvas = 32;
  const reff::data::TexturedMnist generator(
      reff::data::load_mnist_split(std::string(REFF_DATA_DIR) + "/mnist", reff::data::Split::train),
      reff::data::open_texture_bank({}), data_options);
  const auto data = reff::data::TensorDataset::from_textured_mnist(generator, 512);

  TinyCnn model;
  reff::train::TrainOptions options;
  options.method = "reff";  // Eq. (3) on both tapped layers
  options.explanation.layer_weights = {50, 200};
  options.lambda = 1e-4;
  torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(0.05).momentum(0.8));

  double first = 0, last = 0;
  for (int64_t step = 0; step < steps; ++step) {
    const auto indices = torch::randint(data.size(), {32}, torch::kInt64);
    const auto terms = reff::train::training_loss(model, data.batch(indices), options);
    optimizer.zero_grad();
    terms.total.backward();
    optimizer.step();
    last = terms.total.item<double>();
    if (step == 0) first = last;
    if (step % 10 == 0 || step + 1 == steps) {
      std::printf("step %3lld  cross-entropy %.3f  ReFF %.1f  total %.3f\n",
                  static_cast<long long>(step), terms.main.item<double>(),
                  terms.explanation.item<double>(), last);
    }
  }
  std::printf("total loss %.3f -> %.3f\n", first, last);
  return last < first ? 0 : 1;
}
