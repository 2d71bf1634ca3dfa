#include "reff/annotate/annotation_session.h"

#include "reff/annotate/mask_upload.h"
#include "reff/data/image_file.h"
#include "reff/error.h"
#include "reff/file_bytes.h"
#include "reff/json_file.h"

#include <torch/nn/functional/upsampling.h>

#include <filesystem>

namespace reff::annotate {
namespace fs = std::filesystem;
namespace {

std::string mask_as_png(const torch::Tensor& relevant, const std::string& where) {
  const auto png = data::encode_png(relevant.to(torch::kUInt8) * 255, where);
  return {png.begin(), png.end()};
}

}  // namespace

AnnotationSession::AnnotationSession(const AnnotateOptions& options)
    : options_(options), masks_(options.masks) {
  const auto listing = data::list_folder(options.data_dir, options.split);
  classes_ = listing.classes;
  std::vector<int64_t> labels;
  for (const auto& image : listing.train) labels.push_back(image.label);
  const auto chosen = data::annotated_subset(torch::tensor(labels, torch::kInt64), options.subset);
  std::vector<bool> in_subset(listing.train.size(), false);
  for (const auto index : chosen) in_subset[static_cast<size_t>(index)] = true;
  for (size_t i = 0; i < listing.train.size(); ++i) {
    const auto& image = listing.train[i];
    const auto& class_name = classes_[static_cast<size_t>(image.label)];
    const auto out = fs::path(options.out_dir) / "train" / class_name /
                     (fs::path(image.image).stem().string() + ".png");
    // The subset, and every image drawn in an earlier session (another n draws another subset).
    if (in_subset[i] || fs::exists(out)) items_.push_back({image, class_name, out.string()});
  }
  sizes_.assign(items_.size(), {0, 0});
  if (!options.annotator_dir.empty()) annotator_ = run::load_annotator(options.annotator_dir);
}

nlohmann::json AnnotationSession::listing() const {
  auto items = nlohmann::json::array();
  for (const auto& item : items_) {
    items.push_back({{"class", item.class_name},
                     {"name", item.image.name},
                     {"saved", fs::exists(item.out_mask)}});
  }
  return {{"classes", classes_}, {"items", items}, {"suggest", annotator_.has_value()}};
}

const AnnotationSession::Item& AnnotationSession::item(int64_t index) const {
  REFF_REQUIRE(index >= 0 && index < size(), "image " + std::to_string(index),
               "no such image (the annotated subset has " + std::to_string(size()) + ")");
  return items_[static_cast<size_t>(index)];
}

ImageFile AnnotationSession::image(int64_t index) const {
  const auto& path = item(index).image.image;
  auto bytes = read_file_bytes(path);
  const bool png = bytes.size() >= 4 && bytes.compare(1, 3, "PNG") == 0;
  return {std::move(bytes), png ? "image/png" : "image/jpeg"};
}

std::pair<int64_t, int64_t> AnnotationSession::image_size(int64_t index) {
  const auto& path = item(index).image.image;
  std::lock_guard<std::mutex> lock(mutex_);
  auto& size = sizes_[static_cast<size_t>(index)];
  if (size.first == 0) {
    const auto decoded = data::read_image(path);
    size = {decoded.size(1), decoded.size(2)};
  }
  return size;
}

std::optional<std::string> AnnotationSession::mask_png(int64_t index) {
  const auto& entry = item(index);
  if (fs::exists(entry.out_mask)) return read_file_bytes(entry.out_mask);
  if (entry.image.mask.empty()) return std::nullopt;
  const auto [height, width] = image_size(index);
  return mask_as_png(masks_.read(entry.image.mask, entry.image.name, height, width),
                     entry.image.mask);
}

std::string AnnotationSession::suggestion_png(int64_t index) {
  REFF_REQUIRE(annotator_.has_value(), "suggest", "start reff annotate with --annotator RUN");
  auto image = item(index).image;
  image.mask.clear();
  const auto [height, width] = image_size(index);
  data::MaskReader no_masks(options_.masks);
  std::lock_guard<std::mutex> lock(mutex_);
  const auto squashed = data::load_folder_images({image}, annotator_->config.data.canvas, no_masks);
  // G(x) at the annotator's canvas, back to the image's size, binarised at 0.5.
  const auto g = train::pseudo_annotate(*annotator_->model->generator, squashed);
  namespace F = torch::nn::functional;
  const auto resized = F::interpolate(g.unsqueeze(1), F::InterpolateFuncOptions()
                                                          .size(std::vector<int64_t>{height, width})
                                                          .mode(torch::kBilinear)
                                                          .align_corners(false));
  return mask_as_png(resized[0][0] >= 0.5, image.name);
}

void AnnotationSession::save(int64_t index, const std::string& body) {
  const auto& entry = item(index);
  const auto [height, width] = image_size(index);
  const auto relevant = decode_mask_upload(body, height, width);
  const auto labelme = fs::path(entry.out_mask).replace_extension(".json");
  REFF_REQUIRE(!fs::exists(labelme), labelme.string(),
               "holds this image's mask already: remove it or save to another --out");
  const auto png = mask_as_png(relevant, entry.out_mask);
  std::lock_guard<std::mutex> lock(mutex_);  // one writer of the temporary file at a time
  fs::create_directories(fs::path(entry.out_mask).parent_path());
  write_text_file(entry.out_mask, png);
}

}  // namespace reff::annotate
