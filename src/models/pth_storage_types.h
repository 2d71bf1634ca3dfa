// The storage classes a .pth pickle names for each dtype (torch.FloatStorage, ...): what
// pth_file.cpp reads and pth_writer.cpp writes.
#pragma once

#include <c10/core/ScalarType.h>

namespace reff::models {

struct StorageType {
  const char* name;  // the pickle's global, "torch.FloatStorage"
  c10::ScalarType dtype;
};

inline constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", c10::kFloat}, {"torch.DoubleStorage", c10::kDouble},
    {"torch.HalfStorage", c10::kHalf},   {"torch.BFloat16Storage", c10::kBFloat16},
    {"torch.LongStorage", c10::kLong},   {"torch.IntStorage", c10::kInt},
    {"torch.ShortStorage", c10::kShort}, {"torch.CharStorage", c10::kChar},
    {"torch.ByteStorage", c10::kByte},   {"torch.BoolStorage", c10::kBool}};

}  // namespace reff::models
