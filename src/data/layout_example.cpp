#include "reff/data/layout_example.h"

#include "reff/data/image_file.h"
#include "reff/data/isic2017.h"
#include "reff/data/oxford_pets.h"
#include "reff/data/rng.h"
#include "reff/data/waterbirds_generator.h"
#include "reff/error.h"
#include "reff/names.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace reff::data {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kWidth = 64, kHeight = 48;  // the official layouts' examples
constexpr int64_t kSide = 48;  // the own folder's: square, so resizing keeps the shapes apart

struct Example {
  torch::Tensor image;   // uint8 [3, H, W]
  torch::Tensor inside;  // bool [H, W]: the ellipse
};

struct Ellipse {
  double cx, cy, rx, ry;
};

// A noisy height x width background with the ellipse in one flat colour (float [3]).
Example paint(const Ellipse& e, const torch::Tensor& colour, Rng& rng, int64_t height = kHeight,
              int64_t width = kWidth) {
  const auto ys = torch::arange(height, torch::kFloat).view({-1, 1});
  const auto xs = torch::arange(width, torch::kFloat).view({1, -1});
  const auto inside = ((ys - e.cy) / e.ry).pow(2) + ((xs - e.cx) / e.rx).pow(2) <= 1;
  torch::Generator generator = at::detail::createCPUGenerator(rng.next());
  auto image = torch::rand({3, height, width}, generator) * 120 + 60;
  image = torch::where(inside.unsqueeze(0), colour.view({3, 1, 1}).expand_as(image), image);
  return {image.to(torch::kUInt8), inside};
}

// The official layouts' examples: the ellipse's colour is the class's.
Example draw(int64_t label, int64_t classes, Rng& rng) {
  const double cy = rng.uniform(16, 32), cx = rng.uniform(20, 44);
  const double ry = rng.uniform(8, 14), rx = rng.uniform(10, 18);
  const double hue = double(label) / double(classes);
  return paint({cx, cy, rx, ry}, torch::tensor({float(255 * hue), float(255 * (1 - hue)), 128.0f}),
               rng);
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  REFF_REQUIRE(out.good(), path.string(), "cannot write");
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

// The ellipse as a polygon of 24 points in pixel coordinates (pixel centres at +0.5).
std::vector<std::pair<double, double>> outline(const Ellipse& e) {
  std::vector<std::pair<double, double>> points;
  for (int k = 0; k < 24; ++k) {
    const double t = 2 * M_PI * k / 24;
    points.emplace_back(e.cx + 0.5 + e.rx * std::cos(t), e.cy + 0.5 + e.ry * std::sin(t));
  }
  return points;
}

// The own folder's ellipse: its shape is the class (round, tall, wide), its colour random.
Ellipse shape_of(int64_t label, Rng& rng) {
  const double cx = rng.uniform(20, 28), cy = rng.uniform(20, 28);  // inside the 48 x 48 image
  if (label == 0) {
    const double r = rng.uniform(10, 13);
    return {cx, cy, r, r};
  }
  if (label == 1) return {cx, cy, rng.uniform(6, 8), rng.uniform(14, 17)};
  return {cx, cy, rng.uniform(16, 19), rng.uniform(7, 9)};
}

// Own folder (folder_dataset.h): three classes told apart by the ellipse's shape, while a square
// in the top-left corner has a colour of its own per class in train/ and test/ (an easier
// shortcut) and a random class's colour in shifted/ (the shortcut broken). Masks mark the ellipse:
// in train/ for 3 images per class (one PNG, two labelme polygons), in test/ as one COCO file of
// polygons, in shifted/ as PNGs.
void write_own_folder(const fs::path& dir, Rng& rng, int count) {
  const char* classes[] = {"round", "tall", "wide"};
  const float corner_colours[3][3] = {{230, 30, 30}, {30, 30, 230}, {230, 230, 30}};
  constexpr int64_t kClasses = 3, kCorner = 12;
  nlohmann::json coco = {{"images", nlohmann::json::array()},
                         {"annotations", nlohmann::json::array()}};
  const std::pair<const char*, int> splits[] = {
      {"train", count}, {"test", (count + 1) / 2}, {"shifted", (count + 1) / 2}};
  for (const auto& [split, count] : splits) {
    for (int64_t c = 0; c < kClasses; ++c) {
      const bool shifted = std::string(split) == "shifted";
      fs::create_directories(dir / split / classes[c]);
      // shifted/ is a test folder of its own: its masks inside it
      const auto mask_dir = (shifted ? dir / split / "masks" : dir / "masks" / split) / classes[c];
      fs::create_directories(mask_dir);
      for (int k = 0; k < count; ++k) {
        const auto ellipse = shape_of(c, rng);
        const auto colour = torch::tensor({float(rng.uniform(90, 255)), float(rng.uniform(90, 255)),
                                           float(rng.uniform(90, 255))});
        auto example = paint(ellipse, colour, rng, kSide, kSide);
        const auto corner_class = shifted ? int64_t(rng.below(kClasses)) : c;
        auto corner = torch::zeros({kSide, kSide}, torch::kBool);
        corner.slice(0, 0, kCorner).slice(1, 0, kCorner).fill_(true);
        corner &= ~example.inside;
        const auto corner_colour =
            torch::tensor({corner_colours[corner_class][0], corner_colours[corner_class][1],
                           corner_colours[corner_class][2]})
                .view({3, 1, 1});
        example.image = torch::where(corner.unsqueeze(0), corner_colour.expand({3, kSide, kSide}),
                                     example.image.to(torch::kFloat))
                            .to(torch::kUInt8);
        const auto stem = std::string(classes[c]) + "_" + std::to_string(k);
        const auto name = fs::path(split) / classes[c] / (stem + ".png");
        write_png((dir / name).string(), example.image);
        const auto mask_base = mask_dir / stem;
        const bool train = std::string(split) == "train";
        if (std::string(split) == "test") {
          const int64_t id = int64_t(coco["images"].size()) + 1;
          coco["images"].push_back(
              {{"id", id}, {"file_name", name.string()}, {"height", kSide}, {"width", kSide}});
          nlohmann::json polygon = nlohmann::json::array();
          for (const auto& [x, y] : outline(ellipse)) {
            polygon.push_back(x);
            polygon.push_back(y);
          }
          coco["annotations"].push_back(
              {{"id", id}, {"image_id", id}, {"segmentation", {polygon}}, {"iscrowd", 0}});
        } else if (!train || k == 0) {
          write_png(mask_base.string() + ".png", example.inside.to(torch::kUInt8) * 255);
        } else if (k == 1 || k == 2) {  // labelme, as its polygon tool saves an outline
          nlohmann::json points = nlohmann::json::array();
          for (const auto& [x, y] : outline(ellipse)) points.push_back({x, y});
          write_text(mask_base.string() + ".json",
                     nlohmann::json{{"version", "5.4.1"},
                                    {"shapes",
                                     {{{"label", classes[c]},
                                       {"points", points},
                                       {"shape_type", "polygon"},
                                       {"mask", nullptr}}}},
                                    {"imagePath", "../../../" + name.string()},
                                    {"imageData", nullptr},
                                    {"imageHeight", kSide},
                                    {"imageWidth", kSide}}
                         .dump(1));
        }
      }
    }
  }
  write_text(dir / "masks" / "test.json", coco.dump(1));
}

// CUB's layout with four species (two water, two land birds; 12 photographs each, 8 of them
// CUB's training images), folders of land and water scenes (green and blue noise), and the
// Waterbirds folder made from them.
void write_waterbirds_example(const fs::path& dir, Rng& rng) {
  const char* species[] = {"001.Black_footed_Albatross", "059.California_Gull",
                           "020.Yellow_breasted_Chat", "094.White_breasted_Nuthatch"};
  const auto cub = dir / "CUB_200_2011";
  std::string images, splits;
  int id = 0;
  for (int s = 0; s < 4; ++s) {
    fs::create_directories(cub / "images" / species[s]);
    fs::create_directories(cub / "segmentations" / species[s]);
    for (int k = 0; k < 12; ++k) {
      const auto name = std::string(species[s]).substr(4) + "_" + std::to_string(k);
      const auto bird = draw(s, 4, rng);
      write_jpeg((cub / "images" / species[s] / (name + ".jpg")).string(), bird.image);
      write_png((cub / "segmentations" / species[s] / (name + ".png")).string(),
                bird.inside.to(torch::kUInt8) * 255);
      ++id;
      images += std::to_string(id) + " " + species[s] + "/" + name + ".jpg\n";
      splits += std::to_string(id) + (k < 8 ? " 1\n" : " 0\n");
    }
  }
  write_text(cub / "images.txt", images);
  write_text(cub / "train_test_split.txt", splits);
  WaterbirdsSources sources{cub.string(), {(dir / "land").string()}, {(dir / "water").string()}};
  for (int place = 0; place < 2; ++place) {
    const auto folder = dir / (place ? "water" : "land");
    fs::create_directories(folder);
    const auto tint =
        torch::tensor(place ? std::vector<float>{40, 90, 200} : std::vector<float>{60, 160, 50});
    for (int k = 0; k < 48; ++k) {
      torch::Generator generator = at::detail::createCPUGenerator(rng.next());
      const auto scene = (torch::rand({3, 60, 80}, generator) * 60 - 30 + tint.view({3, 1, 1}));
      write_png((folder / ("scene_" + std::to_string(k) + ".png")).string(),
                scene.clamp(0, 255).to(torch::kUInt8));
    }
  }
  write_waterbirds(sources, (dir / "waterbirds").string());
}

// The layouts, by --dataset: each writes its example into the folder (per_class: 0 for the
// default) and says how to train on it.
struct Layout {
  const char* name;
  void (*write)(const fs::path& dir, Rng& rng, int64_t per_class);
  const char* train_options;  // after "--dataset NAME ", with DIR for the folder
  bool takes_count = false;
};
const Layout kLayouts[] = {
    {"isic2017", [](const fs::path& dir, Rng& rng, int64_t) { write_isic2017(dir, rng); },
     "--data DIR"},
    {"pets", [](const fs::path& dir, Rng& rng, int64_t) { write_oxford_pets(dir, rng); },
     "--data DIR"},
    {"waterbirds",
     [](const fs::path& dir, Rng& rng, int64_t) { write_waterbirds_example(dir, rng); },
     "--data DIR/waterbirds --masks DIR/CUB_200_2011"},
    {"folder",
     [](const fs::path& dir, Rng& rng, int64_t per_class) {
       if (per_class == 0) per_class = 12;
       REFF_REQUIRE(per_class >= 3 && per_class <= 10000, "--count", "must be in [3, 10000]");
       write_own_folder(dir, rng, static_cast<int>(per_class));
     },
     "--data DIR", true},
};

}  // namespace

std::string write_layout_example(const std::string& dataset, const std::string& dir, uint64_t seed,
                                 int64_t per_class) {
  const auto& layout = find_named(kLayouts, "--dataset", dataset);
  REFF_REQUIRE(per_class == 0 || layout.takes_count, "--count", "applies to folder only");
  std::error_code error;
  fs::create_directories(dir, error);
  REFF_REQUIRE(!error, dir, "cannot create the folder (" + error.message() + ")");
  REFF_REQUIRE(!fs::exists(fs::path(dir) / "images") && !fs::exists(fs::path(dir) / "train") &&
                   !fs::exists(fs::path(dir) / "ISIC-2017_Training_Part3_GroundTruth.csv") &&
                   !fs::exists(fs::path(dir) / "CUB_200_2011"),
               dir, "already holds a data set; choose an empty folder");
  Rng rng(seed, 0x1A70);
  layout.write(dir, rng, per_class);
  std::string options = std::string("--dataset ") + layout.name + " " + layout.train_options;
  for (auto at = options.find("DIR"); at != std::string::npos; at = options.find("DIR", at))
    options.replace(at, 3, dir);
  return options;
}

}  // namespace reff::data
