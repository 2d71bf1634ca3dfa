// How many cores LibTorch uses. LibTorch's default counts physical cores only; reff uses every
// logical core unless told otherwise (training here is CPU-bound), and keeps OpenBLAS to one
// thread inside LibTorch's own (their threads otherwise spin against each other).
#pragma once

namespace reff {

// Sets LibTorch's intra-op thread count: `threads` > 0, or every logical core when 0.
// Returns the count in force.
int use_threads(int threads = 0);

}  // namespace reff
