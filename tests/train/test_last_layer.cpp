#include "fixtures.h"
#include "reff/error.h"
#include "reff/train/last_layer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace reff::train {
namespace {

// Three well separated blobs in the first two of `dims` dimensions; the rest is noise.
std::pair<torch::Tensor, torch::Tensor> blobs(int64_t per_class, int64_t dims, uint64_t seed) {
  torch::manual_seed(seed);
  const auto centres = torch::tensor({{4.0, 0.0}, {-2.0, 3.5}, {-2.0, -3.5}}, torch::kDouble);
  auto labels = torch::arange(3, torch::kInt64).repeat_interleave(per_class);
  auto x = torch::randn({3 * per_class, dims}, torch::kDouble) * 0.5;
  x.narrow(1, 0, 2) += centres.index_select(0, labels);
  return {x, labels};
}

TEST(LastLayer, L1LogisticRegressionSeparatesALinearlySeparableSetAndMeetsItsOptimality) {
  const auto [x, y] = blobs(30, 6, 0);
  const double c = 0.5;
  const auto head = fit_logistic_l1(x, y, 3, c, 3000);
  EXPECT_EQ(head.logits(x).argmax(1).eq(y).sum().item<int64_t>(), 90);
  // Optimality of min (1/N) sum CE + 1/(C N) ||W||_1: the gradient g of the mean cross-entropy is
  // -sign(w) / (C N) where w != 0 and within 1 / (C N) of zero where w = 0; the bias's is 0.
  const double n = 90, bound = 1.0 / (c * n);
  const auto p = torch::softmax(head.logits(x), 1) - torch::one_hot(y, 3).to(torch::kDouble);
  const auto g = p.t().mm(x) / n;
  EXPECT_LT((p.sum(0) / n).abs().max().item<double>(), 1e-6);
  const auto w = head.weight;
  const auto active = w.ne(0);
  EXPECT_LT((g + w.sign() * bound).masked_select(active).abs().max().item<double>(), 1e-5);
  EXPECT_LE(g.masked_select(~active).abs().max().item<double>(), bound + 1e-6);
  // The penalty does what L1 does: the noise dimensions keep (almost) no weight.
  EXPECT_GT(w.narrow(1, 0, 2).abs().sum().item<double>(),
            20 * w.narrow(1, 2, 4).abs().sum().item<double>());
}

// Features [core, spurious]: the core feature tells the class with noise; the spurious one tells
// it exactly in `agreeing` of the images and is random in the others.
std::pair<torch::Tensor, torch::Tensor> shortcut_features(int64_t count, double agreeing,
                                                          uint64_t seed) {
  torch::manual_seed(seed);
  const auto y = torch::randint(0, 2, {count}, torch::kInt64);
  const auto sign = y.to(torch::kDouble) * 2 - 1;
  const auto core = sign + torch::randn({count}, torch::kDouble) * 0.8;
  const auto random = torch::randint(0, 2, {count}, torch::kInt64).to(torch::kDouble) * 2 - 1;
  const auto agrees = torch::rand({count}, torch::kDouble) < agreeing;
  const auto spurious = torch::where(agrees, sign, random) * 3;
  return {torch::stack({core, spurious}, 1), y};
}

TEST(LastLayer, DfrOnABalancedSplitLeansOnTheCoreFeatureAndIsTheSameForTheSameSeed) {
  // An ordinary head would lean on the spurious feature; DFR fits on a split where it is random.
  // Named tensors: a C++17 lambda cannot capture a structured binding (clang refuses it).
  const auto val = shortcut_features(400, 0.0, 1);
  const auto& val_x = val.first;
  const auto& val_y = val.second;
  const auto [test_x, test_y] = shortcut_features(2000, 0.0, 2);
  DfrOptions options;
  options.ensembles = 5;
  const auto fit = fit_dfr(val_x * 10 + 5, val_y, val_y, 2, options);  // raw scale and offset
  EXPECT_EQ(fit.tuning.size(), options.c_grid.size());
  const auto accuracy = [&](const LinearHead& head, const torch::Tensor& x,
                            const torch::Tensor& y) {
    return head.logits(x * 10 + 5).argmax(1).eq(y).to(torch::kDouble).mean().item<double>();
  };
  EXPECT_GT(accuracy(fit.head, test_x, test_y), 0.85);  // the core feature's Bayes rate: ~0.89
  const auto again = fit_dfr(val_x * 10 + 5, val_y, val_y, 2, options);
  EXPECT_TRUE(torch::equal(fit.head.weight, again.head.weight));
  EXPECT_EQ(fit.c, again.c);
  // A third class without images is never predicted.
  const auto three = fit_dfr(val_x, val_y, val_y, 3, options);
  EXPECT_TRUE(three.head.logits(test_x).argmax(1).lt(2).all().item<bool>());
  test::expect_error_mentioning([&] { fit_dfr(val_x, val_y + 1, val_y, 2, options); }, "[0, 2)");
  options.ensembles = 0;
  test::expect_error_mentioning([&] { fit_dfr(val_x, val_y, val_y, 2, options); }, "--ensembles");
}

}  // namespace
}  // namespace reff::train
