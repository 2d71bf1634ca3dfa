#include "reff/viz/explained_samples.h"

#include "reff/error.h"
#include "reff/models/eval_mode.h"
#include "reff/viz/explanation_grid.h"

namespace reff::viz {

torch::Tensor explained_samples(models::TappedModel& model, const data::TensorDataset& data,
                                int64_t count, const explain::GradCamOptions& cam) {
  require(count > 0 && count <= data.size(), "--count",
          "must be in [1, " + std::to_string(data.size()) + "]");
  models::EvalMode eval_mode(model);
  const auto batch = data.slice(0, count);
  const auto forward = model.forward(batch.images);
  const auto top_class = forward.logits.argmax(1);
  auto options = cam;
  options.create_graph = false;
  const auto maps =
      explain::grad_cam(forward, top_class, {batch.images.size(2), batch.images.size(3)}, options);
  return explanation_grid(data.images().slice(0, 0, count), batch.masks, maps);
}

}  // namespace reff::viz
