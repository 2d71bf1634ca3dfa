#include "reff/viz/explained_samples.h"

#include "reff/device.h"
#include "reff/error.h"
#include "reff/models/attention_branch.h"
#include "reff/models/eval_mode.h"
#include "reff/viz/explanation_figure.h"

#include <cmath>

namespace reff::viz {

namespace {

std::string class_name(int64_t label, const std::vector<std::string>& names) {
  return label < static_cast<int64_t>(names.size()) ? names[static_cast<size_t>(label)]
                                                    : std::to_string(label);
}

}  // namespace

torch::Tensor explained_samples(models::TappedModel& model, const data::TensorDataset& data,
                                int64_t count, const explain::GradCamOptions& cam,
                                const std::vector<std::string>& class_names) {
  REFF_REQUIRE(count > 0 && count <= data.size(), "--count",
               "must be in [1, " + std::to_string(data.size()) + "]");
  models::EvalMode eval_mode(model);
  const auto batch = data.slice(0, count).to(device_of(model));
  const auto forward = model.forward(batch.images);
  const auto top_class = forward.logits.argmax(1);  // the prediction is what is explained
  auto options = cam;
  options.create_graph = false;
  const auto maps =
      explain::grad_cam(forward, top_class, {batch.images.size(2), batch.images.size(3)}, options);
  std::vector<torch::Tensor> pictures;
  for (const auto& map : maps) pictures.push_back(map.cpu());
  const auto attention = forward.extra.find(models::kAttentionMap);
  const bool abn = attention != forward.extra.end();
  if (abn) {  // ABN: its attention map M(x) in the last column
    pictures.push_back(torch::upsample_bilinear2d(attention->second.detach(),
                                                  {batch.images.size(2), batch.images.size(3)},
                                                  /*align_corners=*/false)
                           .squeeze(1)
                           .cpu());
  }
  FigureText text{{"input", "mask"}, {}};
  for (size_t l = 0; l < maps.size(); ++l) text.columns.push_back("layer" + std::to_string(l + 1));
  if (abn) text.columns.push_back("attention M(x)");
  const auto [probability, predicted] = torch::softmax(forward.logits.detach(), 1).max(1);
  const auto labels = batch.labels.cpu();
  for (int64_t i = 0; i < count; ++i) {
    const auto p = predicted[i].item<int64_t>();
    text.rows.push_back("true " + class_name(labels[i].item<int64_t>(), class_names) + "\npred " +
                        class_name(p, class_names) + " (" +
                        std::to_string(std::lround(100 * probability[i].item<float>())) + "%)");
  }
  return explanation_figure(data.images().slice(0, 0, count), batch.masks.cpu(), pictures, text);
}

}  // namespace reff::viz
