// `.pth` files as PyTorch writes them: `torch.save(model.state_dict(), path)` (what torchvision's
// download cache holds) or `torch.save({"name": tensor, ...}, path)`.
//
// The format (PyTorch >= 1.6): a zip archive `NAME/data.pkl` + `NAME/data/<key>`, where data.pkl
// is a Python pickle of a dict (or collections.OrderedDict) from names to tensors and each
// tensor refers to a raw little-endian storage record `data/<key>` by a persistent id.
// The reader interprets just the pickle opcodes and objects such files use (protocols 2-4); any
// other object, a truncated record or a tensor reaching outside its storage is a reff::Error.
// The older, non-zip format (before PyTorch 1.6) is refused with a hint to re-save the file.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace reff::models {

// Name -> tensor, in the file's order.
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

NamedTensors read_pth(const std::string& path);

// Writes `tensors` (CPU copies) so that Python's `torch.load(path)` returns a dict of them;
// atomically (temporary file, then rename).
void write_pth(const std::string& path, const NamedTensors& tensors);

}  // namespace reff::models
