#include "reff/data/tensor_dataset.h"

#include "reff/error.h"
#include "reff/shape_text.h"

namespace reff::data {
namespace {

torch::Tensor channel_constant(const float (&values)[3]) {
  return torch::tensor({values[0], values[1], values[2]}).view({1, 3, 1, 1});
}

}  // namespace

torch::Tensor normalise(const torch::Tensor& images_u8) {
  return (images_u8.to(torch::kFloat32).div(255.0) - channel_constant(kMean)) /
         channel_constant(kStd);
}

TensorDataset::TensorDataset(torch::Tensor images, torch::Tensor labels, torch::Tensor masks,
                             torch::Tensor has_mask)
    : images_(std::move(images)),
      labels_(std::move(labels)),
      masks_(std::move(masks)),
      has_mask_(std::move(has_mask)) {
  REFF_REQUIRE(images_.dim() == 4 && images_.size(1) == 3 && images_.scalar_type() == torch::kUInt8,
               "dataset", "images must be uint8 [N, 3, H, W]");
  const int64_t n = images_.size(0);
  REFF_REQUIRE(labels_.sizes() == torch::IntArrayRef{n}, "dataset", "one label per image expected");
  REFF_REQUIRE(masks_.dim() == 3 && masks_.size(0) == n && masks_.size(1) == images_.size(2) &&
                   masks_.size(2) == images_.size(3),
               "dataset",
               "mask size " + shape_text(masks_.sizes()) + " differs from the images' " +
                   shape_text(images_.sizes()));
  REFF_REQUIRE(has_mask_.sizes() == torch::IntArrayRef{n}, "dataset",
               "one has-mask flag per image");
  labels_ = labels_.to(torch::kInt64);
  has_mask_ = has_mask_.to(torch::kBool);
}

TensorDataset TensorDataset::from_textured_mnist(const TexturedMnist& generator, int64_t count) {
  const auto samples = generator.generate(0, count);
  std::vector<torch::Tensor> images, masks;
  std::vector<int64_t> labels;
  for (const auto& s : samples) {
    images.push_back(s.image);
    masks.push_back(s.mask);
    labels.push_back(s.label);
  }
  return TensorDataset(torch::stack(images), torch::tensor(labels, torch::kInt64),
                       torch::stack(masks).mul_(255), torch::ones({count}, torch::kBool));
}

namespace {

torch::Tensor unit_masks(const torch::Tensor& masks_u8) {
  return masks_u8.to(torch::kFloat32).div_(255.0);
}

}  // namespace

Batch Batch::to(torch::Device device) const {
  if (images.device() == device) return *this;
  return {images.to(device), labels.to(device), masks.to(device), has_mask.to(device), masked};
}

Batch TensorDataset::batch(const torch::Tensor& indices) const {
  const auto has_mask = has_mask_.index_select(0, indices);
  return {normalise(images_.index_select(0, indices)), labels_.index_select(0, indices),
          unit_masks(masks_.index_select(0, indices)), has_mask, has_mask.sum().item<int64_t>()};
}

Batch TensorDataset::slice(int64_t begin, int64_t end) const {
  const auto has_mask = has_mask_.slice(0, begin, end);
  return {normalise(images_.slice(0, begin, end)), labels_.slice(0, begin, end),
          unit_masks(masks_.slice(0, begin, end)), has_mask, has_mask.sum().item<int64_t>()};
}

TensorDataset TensorDataset::subset(const std::vector<int64_t>& indices) const {
  const auto index = torch::tensor(indices, torch::kInt64);
  return TensorDataset(images_.index_select(0, index), labels_.index_select(0, index),
                       masks_.index_select(0, index), has_mask_.index_select(0, index));
}

std::vector<int64_t> TensorDataset::masked_indices() const {
  const auto masked = has_mask_.nonzero().squeeze(1).contiguous();
  return {masked.data_ptr<int64_t>(), masked.data_ptr<int64_t>() + masked.numel()};
}

std::vector<int64_t> TensorDataset::empty_mask_indices() const {
  if (size() == 0) return {};
  const auto empty =
      (has_mask_ & masks_.flatten(1).amax(1).eq(0)).nonzero().squeeze(1).contiguous();
  return {empty.data_ptr<int64_t>(), empty.data_ptr<int64_t>() + empty.numel()};
}

TensorDataset TensorDataset::with_annotations(const std::vector<int64_t>& annotated,
                                              const torch::Tensor& pseudo, double threshold) const {
  auto in_d1 = torch::zeros({size()}, torch::kBool);
  if (!annotated.empty()) in_d1.index_fill_(0, torch::tensor(annotated, torch::kInt64), true);
  if (!pseudo.defined()) return TensorDataset(images_, labels_, masks_, in_d1 & has_mask_);
  REFF_REQUIRE(pseudo.dim() == 3 && pseudo.size(0) == size() && pseudo.size(1) == masks_.size(1) &&
                   pseudo.size(2) == masks_.size(2),
               "pseudo-annotations",
               "size " + shape_text(pseudo.sizes()) + " differs from the masks' " +
                   shape_text(masks_.sizes()));
  auto soft = pseudo.detach().to(torch::kFloat32).clamp(0.0, 1.0);
  if (threshold > 0 && threshold < 1) soft = (soft >= threshold).to(torch::kFloat32);
  const auto pseudo_u8 = soft.mul(255.0).round_().to(torch::kUInt8);
  const auto masks = torch::where(in_d1.view({-1, 1, 1}), masks_, pseudo_u8);
  return TensorDataset(images_, labels_, masks, torch::ones({size()}, torch::kBool));
}

}  // namespace reff::data
