// Parity with torchvision (run by ctest after tests/parity/torchvision_reference.py wrote the
// reference into the folder named by REFF_PARITY_DIR; check_from_reff.py then reads what the last
// test writes). Relative error: max |reff - torchvision| / max |torchvision|; for a Grad-CAM the
// scale is torchvision's signed map of that layer (the ReLU'd one may be zero at a layer).
#include "reff/explain/grad_cam.h"
#include "reff/models/pth_file.h"
#include "reff/models/resnet.h"
#include "reff/models/state_dict.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

namespace reff::models {
namespace {

std::filesystem::path parity_dir() {
  const char* dir = std::getenv("REFF_PARITY_DIR");
  if (dir == nullptr) throw std::runtime_error("REFF_PARITY_DIR is not set (run through ctest)");
  return dir;
}

std::map<std::string, torch::Tensor> reference() {
  std::map<std::string, torch::Tensor> all;
  for (auto& [name, tensor] : read_pth((parity_dir() / "reference.pth").string()))
    all[name] = tensor;
  return all;
}

double relative_error(const torch::Tensor& ours, const torch::Tensor& theirs,
                      const torch::Tensor& scale) {
  return ((ours - theirs).abs().max() / scale.abs().max()).item<double>();
}

TEST(TorchvisionParity, LogitsAndGradCamsOfResNet50) {
  auto model = resnet50(1000);
  EXPECT_TRUE(
      load_state_dict(*model, read_pth((parity_dir() / "resnet50.pth").string()), "resnet50.pth")
          .empty());
  model->eval();
  auto ref = reference();
  const auto forward = model->forward(ref.at("input"));
  const double logits_error = relative_error(forward.logits, ref.at("logits"), ref.at("logits"));
  std::cout << "logits relative error " << logits_error << "\n";
  EXPECT_LT(logits_error, 1e-4);
  const std::vector<int64_t> size = {ref.at("input").size(2), ref.at("input").size(3)};
  for (const auto rectifier : {explain::CamRectifier::relu, explain::CamRectifier::none}) {
    explain::GradCamOptions options;
    options.rectifier = rectifier;
    const auto maps = explain::grad_cam(forward, ref.at("classes"), size, options);
    const auto kind = rectifier == explain::CamRectifier::relu ? "cam" : "signed";
    ASSERT_EQ(maps.size(), 4u);
    for (size_t l = 0; l < 4; ++l) {
      const auto& theirs = ref.at(kind + std::to_string(l + 1));
      const auto& scale = ref.at("signed" + std::to_string(l + 1));
      ASSERT_EQ(maps[l].sizes(), theirs.sizes());
      ASSERT_GT(scale.abs().max().item<double>(), 0) << "layer" << l + 1;
      const double error = relative_error(maps[l], theirs, scale);
      std::cout << kind << l + 1 << " relative error " << error << "\n";
      EXPECT_LT(error, 1e-4) << kind << l + 1;
    }
  }
}

TEST(TorchvisionParity, WritesAStateDictAndLogitsForPython) {
  torch::manual_seed(7);
  auto model = resnet50(1000);
  model->eval();
  const auto input = reference().at("input");
  torch::NoGradGuard no_grad;
  const auto logits = model->forward(input).logits;
  write_pth((parity_dir() / "from_reff.pth").string(), state_dict(*model));
  write_pth((parity_dir() / "from_reff_logits.pth").string(),
            {{"input", input}, {"logits", logits}});
}

}  // namespace
}  // namespace reff::models
