// Precompiled header: LibTorch costs ~20 s per translation unit without it.
#pragma once
#include <torch/torch.h>
