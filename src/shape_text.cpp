#include "reff/shape_text.h"

namespace reff {

std::string shape_text(c10::IntArrayRef sizes) {
  std::string text = "[";
  for (size_t d = 0; d < sizes.size(); ++d) text += (d == 0 ? "" : ", ") + std::to_string(sizes[d]);
  return text + "]";
}

}  // namespace reff
