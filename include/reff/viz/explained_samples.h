// Explains a model's predictions on the first samples of a data set and draws them
// (explanation_figure): input, mask, the Grad-CAM of the top class at each explained layer and, for
// ABN, its attention map M(x); each row captioned with the true and the predicted class (by
// `class_names`, else by number) and the prediction's probability.
#pragma once

#include "reff/data/tensor_dataset.h"
#include "reff/explain/grad_cam.h"
#include "reff/models/tapped_model.h"

#include <string>
#include <vector>

namespace reff::viz {

torch::Tensor explained_samples(models::TappedModel& model, const data::TensorDataset& data,
                                int64_t count, const explain::GradCamOptions& cam,
                                const std::vector<std::string>& class_names = {});

}  // namespace reff::viz
