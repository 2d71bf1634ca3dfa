// An accuracy or a share as a person reads it: "94.1%" (one decimal), "n/a" for NaN.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace reff {

inline std::string percent_text(double share) {
  if (std::isnan(share)) return "n/a";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", 100 * share);
  return text;
}

}  // namespace reff
