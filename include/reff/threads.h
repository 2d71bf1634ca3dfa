// How many cores LibTorch uses. LibTorch's default counts physical cores only; reff uses every
// logical core unless told otherwise (training here is CPU-bound), and keeps OpenBLAS to one
// thread inside LibTorch's own (their threads otherwise spin against each other).
#pragma once

namespace reff {

// Sets LibTorch's intra-op thread count: `threads` > 0, or, when 0, the machine's logical cores
// shared among the `processes` that run on it (a distributed run's LOCAL_WORLD_SIZE).
// Returns the count in force.
int use_threads(int threads = 0, int processes = 1);

}  // namespace reff
