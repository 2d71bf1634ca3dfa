#include "reff/data/layout_example.h"

#include "reff/data/image_file.h"
#include "reff/data/isic2017.h"
#include "reff/data/oxford_pets.h"
#include "reff/data/rng.h"
#include "reff/error.h"

#include <filesystem>
#include <fstream>

namespace reff::data {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kWidth = 64, kHeight = 48;

struct Example {
  torch::Tensor image;   // uint8 [3, H, W]
  torch::Tensor inside;  // bool [H, W]: the ellipse
};

Example draw(int64_t label, int64_t classes, Rng& rng) {
  const auto ys = torch::arange(kHeight, torch::kFloat).view({-1, 1});
  const auto xs = torch::arange(kWidth, torch::kFloat).view({1, -1});
  const double cy = rng.uniform(16, 32), cx = rng.uniform(20, 44);
  const double ry = rng.uniform(8, 14), rx = rng.uniform(10, 18);
  const auto inside = ((ys - cy) / ry).pow(2) + ((xs - cx) / rx).pow(2) <= 1;
  const double hue = double(label) / double(classes);
  const auto colour = torch::tensor({float(255 * hue), float(255 * (1 - hue)), 128.0f});
  torch::Generator generator = at::detail::createCPUGenerator(rng.next());
  auto image = torch::rand({3, kHeight, kWidth}, generator) * 120 + 60;
  image = torch::where(inside.unsqueeze(0), colour.view({3, 1, 1}).expand_as(image), image);
  return {image.to(torch::kUInt8), inside};
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  require(out.good(), path.string(), "cannot write");
}

void write_isic2017(const fs::path& dir, Rng& rng) {
  const std::pair<const char*, int> splits[] = {
      {"Training", 12}, {"Validation", 6}, {"Test_v2", 6}};
  int id = 0;
  for (const auto& [word, count] : splits) {
    const auto prefix = "ISIC-2017_" + std::string(word);
    fs::create_directories(dir / (prefix + "_Data"));
    fs::create_directories(dir / (prefix + "_Part1_GroundTruth"));
    std::string csv = "image_id,melanoma,seborrheic_keratosis\n";
    for (int k = 0; k < count; ++k, ++id) {
      const int64_t label = k % kIsic2017Classes;
      char name[16];
      std::snprintf(name, sizeof name, "ISIC_%07d", id);
      const auto example = draw(label, kIsic2017Classes, rng);
      write_jpeg((dir / (prefix + "_Data") / (std::string(name) + ".jpg")).string(), example.image);
      write_png((dir / (prefix + "_Part1_GroundTruth") / (std::string(name) + "_segmentation.png"))
                    .string(),
                example.inside.to(torch::kUInt8) * 255);
      csv += std::string(name) + (label == 1   ? ",1.0,0.0\n"
                                  : label == 2 ? ",0.0,1.0\n"
                                               : ",0.0,0.0\n");
    }
    write_text(dir / (prefix + "_Part3_GroundTruth.csv"), csv);
  }
}

void write_oxford_pets(const fs::path& dir, Rng& rng) {
  fs::create_directories(dir / "images");
  fs::create_directories(dir / "annotations" / "trimaps");
  std::string trainval = "# Image CLASS-ID SPECIES BREED ID\n", test = trainval;
  for (int64_t c = 0; c < kOxfordPetsClasses; ++c) {
    for (int k = 1; k <= 7; ++k) {
      const auto name = "Breed" + std::to_string(c + 1) + "_" + std::to_string(k);
      const auto example = draw(c, kOxfordPetsClasses, rng);
      write_jpeg((dir / "images" / (name + ".jpg")).string(), example.image);
      // Trimap: 1 inside the ellipse, 2 outside, 3 on a 1-pixel border between them.
      const auto inside = example.inside.to(torch::kFloat).view({1, 1, kHeight, kWidth});
      const auto grown = torch::max_pool2d(inside, 3, 1, 1).view({kHeight, kWidth}).gt(0);
      auto trimap = torch::full({kHeight, kWidth}, 2, torch::kUInt8);
      trimap.masked_fill_(grown, 3);
      trimap.masked_fill_(example.inside, 1);
      write_png((dir / "annotations" / "trimaps" / (name + ".png")).string(), trimap);
      (k <= 5 ? trainval : test) += name + " " + std::to_string(c + 1) + " " +
                                    std::to_string(c % 2 + 1) + " " + std::to_string(c / 2 + 1) +
                                    "\n";
    }
  }
  write_text(dir / "annotations" / "trainval.txt", trainval);
  write_text(dir / "annotations" / "test.txt", test);
}

}  // namespace

void write_layout_example(const std::string& dataset, const std::string& dir, uint64_t seed) {
  require(dataset == "isic2017" || dataset == "pets", "--dataset",
          "'" + dataset + "' is not one of isic2017, pets");
  std::error_code error;
  fs::create_directories(dir, error);
  require(!error, dir, "cannot create the folder (" + error.message() + ")");
  require(!fs::exists(fs::path(dir) / "images") &&
              !fs::exists(fs::path(dir) / "ISIC-2017_Training_Part3_GroundTruth.csv"),
          dir, "already holds a data set; choose an empty folder");
  Rng rng(seed, 0x1A70);
  if (dataset == "isic2017") {
    write_isic2017(dir, rng);
  } else {
    write_oxford_pets(dir, rng);
  }
}

}  // namespace reff::data
