// The C++ side of the Python package's gradient parity (tests/python/test_parity.py): reff
// train's training step (train::training_loss, then backward) on a ResNet-18 in float64, for each
// explanation method, written with the weights and the batch into OUT_DIR:
//   weights.pth  the model's state dict (torchvision's names)
//   batch.pth    images, labels, masks, has_mask
//   step_<method>.pth  total, explanation, and grad.<parameter> for every parameter
// step_reference OUT_DIR
#include "reff/models/pth_file.h"
#include "reff/models/resnet.h"
#include "reff/models/state_dict.h"
#include "reff/train/trainer.h"

#include <filesystem>
#include <iostream>

using namespace reff;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: step_reference OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  torch::manual_seed(3);
  const auto options = torch::TensorOptions().dtype(torch::kDouble);
  data::Batch batch;
  batch.images = torch::randn({4, 3, 64, 64}, options);
  batch.labels = torch::tensor({1, 7, 3, 7}, torch::kLong);
  // A square of relevant pixels per sample, at different places; the third sample has none.
  batch.masks = torch::zeros({4, 64, 64}, options);
  for (int64_t b = 0; b < 4; ++b) batch.masks[b].narrow(0, 8 * b, 24).narrow(1, 40 - 8 * b, 20) = 1;
  batch.has_mask = torch::tensor({true, true, false, true});
  auto model = models::resnet18(10);
  model->to(torch::kDouble);
  model->train();
  const auto weights = models::state_dict(*model);
  models::write_pth((out / "weights.pth").string(), weights);
  models::write_pth((out / "batch.pth").string(), {{"images", batch.images},
                                                   {"labels", batch.labels},
                                                   {"masks", batch.masks},
                                                   {"has_mask", batch.has_mask}});
  for (const char* method : {"reff", "reff-l1", "reff-l2", "rrr"}) {
    models::load_state_dict(*model, weights, "weights.pth");  // BatchNorm's running stats too
    model->zero_grad();
    train::TrainOptions step;
    step.use_method(method);
    step.lambda = 1e-2;
    step.explanation.layer_weights = {15, 0, 250, 1000};  // a layer of weight 0 is skipped
    const auto terms = train::training_loss(*model, batch, step);
    terms.total.backward();
    models::NamedTensors written = {{"total", terms.total}, {"explanation", terms.explanation}};
    for (const auto& parameter : model->named_parameters())
      written.emplace_back("grad." + parameter.key(), parameter.value().grad());
    models::write_pth((out / ("step_" + std::string(method) + ".pth")).string(), written);
    std::cout << method << ": total " << terms.total.item<double>() << ", explanation "
              << terms.explanation.item<double>() << "\n";
  }
  return 0;
}
