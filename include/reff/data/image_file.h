// Image files, PNG and JPEG, in and out (libpng, libjpeg-turbo).
// Images are uint8 tensors [C, H, W] (C = 1 or 3), masks [H, W].
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace reff::data {

// Up to 32,768 pixels a side and 256 Mpx: a larger header is corrupt, refused before allocating.
bool plausible_image_size(int64_t width, int64_t height);

// Decodes a PNG or JPEG as RGB uint8 [3, H, W]. Throws reff::Error naming the file.
torch::Tensor read_image(const std::string& path);

// Encodes uint8 [H, W], [1, H, W] or [3, H, W] as PNG. Throws reff::Error naming the file.
void write_png(const std::string& path, const torch::Tensor& image);
// The same PNG in memory; `where` names the image in errors.
std::vector<uint8_t> encode_png(const torch::Tensor& image, const std::string& where);
// Encodes uint8 [3, H, W] as JPEG (quality 95). Throws reff::Error naming the file.
void write_jpeg(const std::string& path, const torch::Tensor& image);

}  // namespace reff::data
