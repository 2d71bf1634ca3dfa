#include "reff/viz/explained_samples.h"

#include "reff/device.h"
#include "reff/error.h"
#include "reff/models/eval_mode.h"
#include "reff/viz/explanation_grid.h"

namespace reff::viz {

torch::Tensor explained_samples(models::TappedModel& model, const data::TensorDataset& data,
                                int64_t count, const explain::GradCamOptions& cam) {
  require(count > 0 && count <= data.size(), "--count",
          "must be in [1, " + std::to_string(data.size()) + "]");
  models::EvalMode eval_mode(model);
  const auto batch = data.slice(0, count).to(device_of(model));
  const auto forward = model.forward(batch.images);
  const auto top_class = forward.logits.argmax(1);
  auto options = cam;
  options.create_graph = false;
  const auto maps =
      explain::grad_cam(forward, top_class, {batch.images.size(2), batch.images.size(3)}, options);
  std::vector<torch::Tensor> pictures;
  for (const auto& map : maps) pictures.push_back(map.cpu());
  if (forward.attention.defined()) {  // ABN: its attention map M(x) in the last column
    pictures.push_back(torch::upsample_bilinear2d(forward.attention.detach(),
                                                  {batch.images.size(2), batch.images.size(3)},
                                                  /*align_corners=*/false)
                           .squeeze(1)
                           .cpu());
  }
  return explanation_grid(data.images().slice(0, 0, count), batch.masks.cpu(), pictures);
}

}  // namespace reff::viz
