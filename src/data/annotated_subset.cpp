#include "reff/data/annotated_subset.h"

#include "reff/data/rng.h"
#include "reff/error.h"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace reff::data {

int64_t parse_annotated_n(const std::string& text, const std::string& option) {
  if (text == "all" || text == "All") return 0;
  char* end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  REFF_REQUIRE(!text.empty() && *end == '\0' && n > 0, option,
               "'" + text + "' is not a positive count or 'all'");
  return n;
}

std::vector<int64_t> annotated_subset(const torch::Tensor& labels,
                                      const AnnotatedSubsetOptions& options) {
  const int64_t count = labels.size(0);
  std::vector<int64_t> all(count);
  for (int64_t i = 0; i < count; ++i) all[i] = i;
  if (options.n == 0) return all;
  REFF_REQUIRE(options.n > 0, "--annotated-n", "must be positive or 'all'");

  Rng rng(options.seed, /*stream=*/0xD1);
  auto take = [&](std::vector<int64_t> pool, int64_t n, std::vector<int64_t>& out) {
    for (int64_t k = 0; k < n; ++k) {  // partial Fisher-Yates: the first n of a shuffle
      std::swap(pool[k], pool[k + rng.below(pool.size() - k)]);
      out.push_back(pool[k]);
    }
  };
  std::vector<int64_t> chosen;
  if (!options.per_class) {
    REFF_REQUIRE(count >= options.n, "--annotated-n",
                 std::to_string(options.n) + " annotated samples asked, " + std::to_string(count) +
                     " available");
    take(all, options.n, chosen);
  } else {
    std::map<int64_t, std::vector<int64_t>> by_class;
    const auto l = labels.to(torch::kInt64).contiguous();
    for (int64_t i = 0; i < count; ++i) by_class[l.data_ptr<int64_t>()[i]].push_back(i);
    for (auto& [label, pool] : by_class) {
      REFF_REQUIRE(static_cast<int64_t>(pool.size()) >= options.n, "--annotated-n",
                   std::to_string(options.n) + " per class asked, class " + std::to_string(label) +
                       " has " + std::to_string(pool.size()));
      take(pool, options.n, chosen);
    }
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

}  // namespace reff::data
