#include "fixtures.h"
#include "reff/error.h"
#include "reff/models/pth_file.h"
#include "reff/models/resnet.h"
#include "reff/models/state_dict.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace reff::models {
namespace {

// Written by tests/parity/make_pth_fixture.py with Python's torch.save.
const std::string kFixture = std::string(REFF_TEST_DIR) + "/models/data/ordered_state_dict.pth";

std::vector<std::string> names(const NamedTensors& tensors) {
  std::vector<std::string> all;
  for (const auto& entry : tensors) all.push_back(entry.first);
  return all;
}

TEST(PthFile, ReadsAnOrderedDictStateDictWrittenByPython) {
  const auto tensors = read_pth(kFixture);
  EXPECT_EQ(names(tensors), (std::vector<std::string>{
                                "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                "1.running_var", "1.num_batches_tracked", "transposed", "row"}));
  const auto matrix = torch::arange(12, torch::kFloat).reshape({3, 4});
  EXPECT_TRUE(
      torch::equal(tensors[0].second, torch::arange(18, torch::kFloat).reshape({2, 1, 3, 3}) / 10));
  EXPECT_TRUE(torch::equal(tensors[1].second, torch::tensor({-1.0f, 1.0f})));
  EXPECT_TRUE(torch::equal(tensors[5].second, torch::full({2}, 2.0f)));
  EXPECT_EQ(tensors[6].second.scalar_type(), torch::kLong);
  EXPECT_EQ(tensors[6].second.item<int64_t>(), 5);
  EXPECT_TRUE(torch::equal(tensors[7].second, matrix.t()));  // strides honoured
  EXPECT_TRUE(torch::equal(tensors[8].second, matrix[1]));   // offset into a shared storage
}

TEST(PthFile, WritesWhatItReads) {
  const auto dir = test::fresh_dir("pth_round_trip");
  const NamedTensors written = {{"a", torch::randn({3, 5}).t()},
                                {"b", torch::arange(4, torch::kLong)},
                                {"c", torch::tensor(true)}};
  write_pth((dir / "x.pth").string(), written);
  const auto read = read_pth((dir / "x.pth").string());
  ASSERT_EQ(names(read), (std::vector<std::string>{"a", "b", "c"}));
  for (size_t k = 0; k < read.size(); ++k) {
    EXPECT_EQ(read[k].second.scalar_type(), written[k].second.scalar_type());
    EXPECT_TRUE(torch::equal(read[k].second, written[k].second)) << read[k].first;
  }
}

TEST(PthFile, WritesOnlyWhatAWeightsOnlyLoadAccepts) {
  // torch.load(path, weights_only=True) refuses any global outside its list; LibTorch's own
  // pickle_save names torch.jit._pickle.restore_type_tag, which older reff files hold.
  const auto dir = test::fresh_dir("pth_globals");
  write_pth((dir / "x.pth").string(),
            {{"w", torch::ones({2, 2}, torch::kBFloat16)}, {"n", torch::tensor(int64_t(1) << 40)}});
  const auto bytes = test::read_file(dir / "x.pth");
  EXPECT_EQ(bytes.find("restore_type_tag"), std::string::npos);
  for (const char* global : {"collections\nOrderedDict", "torch._utils\n_rebuild_tensor_v2",
                             "torch\nBFloat16Storage", "torch\nLongStorage"})
    EXPECT_NE(bytes.find(global), std::string::npos) << global;
  const auto read = read_pth((dir / "x.pth").string());
  EXPECT_TRUE(torch::equal(read[0].second, torch::ones({2, 2}, torch::kBFloat16)));
  EXPECT_EQ(read[1].second.item<int64_t>(), int64_t(1) << 40);  // beyond a 4-byte integer
}

TEST(PthFile, ReadsFilesOlderReffWrote) {
  // Before the weights-only writer, reff wrote LibTorch's pickle of a typed dict.
  const auto dir = test::fresh_dir("pth_older");
  c10::Dict<std::string, torch::Tensor> dict;
  dict.insert("conv.weight", torch::arange(6, torch::kFloat).reshape({2, 3}));
  const auto bytes = torch::pickle_save(c10::IValue(dict));
  test::write_file(dir / "old.pth", std::string(bytes.begin(), bytes.end()));
  const auto read = read_pth((dir / "old.pth").string());
  ASSERT_EQ(names(read), std::vector<std::string>{"conv.weight"});
  EXPECT_TRUE(torch::equal(read[0].second, torch::arange(6, torch::kFloat).reshape({2, 3})));
}

TEST(PthFile, ATensorADictCannotHoldIsAnErrorAndWritesNothing) {
  const auto dir = test::fresh_dir("pth_complex");
  EXPECT_THROW(
      write_pth((dir / "c.pth").string(), {{"z", torch::zeros({2}, torch::kComplexFloat)}}), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "c.pth"));
}

TEST(PthFile, BadFilesGiveErrorsNamingTheFile) {
  const auto dir = test::fresh_dir("pth_bad");
  EXPECT_THROW(read_pth((dir / "missing.pth").string()), Error);
  test::write_file(dir / "text.pth", "not a zip file at all");
  try {
    read_pth((dir / "text.pth").string());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("text.pth"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("zip"), std::string::npos);
  }
  const auto bytes = test::read_file(kFixture);
  test::write_file(dir / "truncated.pth", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(read_pth((dir / "truncated.pth").string()), Error);
}

TEST(PthFile, EveryCorruptedByteGivesTheTensorsOrAnError) {
  // Flip each byte of the fixture in turn: reading must succeed or throw reff::Error, nothing else.
  const auto dir = test::fresh_dir("pth_flip");
  const auto bytes = test::read_file(kFixture);
  int errors = 0;
  for (size_t k = 0; k < bytes.size(); ++k) {
    auto damaged = bytes;
    damaged[k] = static_cast<char>(damaged[k] ^ 0x5A);
    test::write_file(dir / "d.pth", damaged);
    try {
      read_pth((dir / "d.pth").string());
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(StateDict, LoadsIntoAModelAndNamesTheFirstMismatch) {
  const auto dir = test::fresh_dir("state_dict");
  torch::manual_seed(1);
  auto source = resnet18(10);
  write_pth((dir / "r18.pth").string(), state_dict(*source));
  torch::manual_seed(2);
  auto target = resnet18(10);
  EXPECT_TRUE(load_state_dict(*target, read_pth((dir / "r18.pth").string()), "r18.pth").empty());
  const auto loaded = state_dict(*target);
  const auto original = state_dict(*source);
  ASSERT_EQ(names(loaded), names(original));
  for (size_t k = 0; k < loaded.size(); ++k) {
    EXPECT_TRUE(torch::equal(loaded[k].second, original[k].second)) << loaded[k].first;
  }
  // Another class count: an error naming fc.weight, unless fc is replaceable.
  auto other = resnet18(3);
  const auto before = other->named_parameters()["fc.weight"].clone();
  try {
    load_state_dict(*other, state_dict(*source), "r18.pth");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fc.weight"), std::string::npos) << e.what();
  }
  const auto kept = load_state_dict(*other, state_dict(*source), "r18.pth", {{"fc."}});
  EXPECT_EQ(kept, (std::vector<std::string>{"fc.weight", "fc.bias"}));
  EXPECT_TRUE(torch::equal(other->named_parameters()["fc.weight"], before));
  EXPECT_TRUE(torch::equal(other->named_parameters()["conv1.weight"],
                           source->named_parameters()["conv1.weight"]));
  // A ResNet-34 file into a ResNet-18: names the first tensor the model lacks.
  EXPECT_THROW(load_state_dict(*target, state_dict(*resnet34(10)), "r34.pth"), Error);
}

}  // namespace
}  // namespace reff::models
