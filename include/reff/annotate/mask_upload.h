// The body of a mask saved from `reff annotate`'s page: a PNG of exactly the image's size whose
// stored values (gray level, or red for colour; alpha ignored) are 0 (irrelevant) or 255
// (task-relevant), as the page's canvas encodes the mask it painted.
#pragma once

#include <torch/types.h>

#include <string>

namespace reff::annotate {

// Uploads larger than this are refused before decoding (a 4096 x 4096 RGBA PNG of noise is
// about 64 MiB; a painted mask compresses to a small share of that).
constexpr size_t kMaxUploadBytes = 16u << 20;

// bool [height, width]. Throws reff::Error for an empty or oversized body, bytes that are not a
// PNG, another size than height x width, or a value other than 0 and 255.
torch::Tensor decode_mask_upload(const std::string& body, int64_t height, int64_t width);

}  // namespace reff::annotate
