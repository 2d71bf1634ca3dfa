// A tensor shape as error messages print it, "[2, 5, 5]", written by reff itself: c10::str of a
// size list crashed reff._core built against PyTorch 2.11 (docs/results/python-package.md).
#pragma once

#include <c10/util/ArrayRef.h>

#include <string>

namespace reff {

std::string shape_text(c10::IntArrayRef sizes);

}  // namespace reff
