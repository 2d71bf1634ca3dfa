#include "reff/data/waterbirds_generator.h"

#include "reff/data/folder_dataset.h"
#include "reff/data/image_file.h"
#include "reff/data/image_resize.h"
#include "reff/data/rng.h"
#include "reff/data/waterbirds.h"
#include "reff/error.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace reff::data {
namespace fs = std::filesystem;
namespace {

// The seabirds and waterfowl of the original generation's list.
constexpr const char* kWaterBirds[] = {
    "albatross", "auklet",    "cormorant", "frigatebird", "fulmar",      "gull",
    "jaeger",    "kittiwake", "pelican",   "puffin",      "tern",        "gadwall",
    "grebe",     "mallard",   "merganser", "guillemot",   "pacific_loon"};

struct Bird {
  std::string file;  // relative to CUB's images/
  int64_t y = 0, split = 0, place = 0;
  std::string scene;
};

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// CUB's "<id> <value>" lines, in order of id.
std::map<int64_t, std::string> id_lines(const std::string& path) {
  std::ifstream in(path);
  REFF_REQUIRE(in.good(), path, "not found (is --cub CUB_200_2011's folder?)");
  std::map<int64_t, std::string> lines;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::istringstream fields(line);
    int64_t id = 0;
    std::string value, extra;
    REFF_REQUIRE((fields >> id >> value) && !(fields >> extra) && id > 0,
                 path + ":" + std::to_string(number), "expected '<id> <value>'");
    REFF_REQUIRE(lines.emplace(id, value).second, path + ":" + std::to_string(number),
                 "id " + std::to_string(id) + " twice");
  }
  return lines;
}

std::vector<Bird> read_birds(const std::string& cub_dir) {
  const auto images = id_lines((fs::path(cub_dir) / "images.txt").string());
  const auto splits = id_lines((fs::path(cub_dir) / "train_test_split.txt").string());
  std::vector<Bird> birds;
  for (const auto& [id, file] : images) {
    const auto split = splits.find(id);
    REFF_REQUIRE(split != splits.end() && (split->second == "0" || split->second == "1"),
                 cub_dir + "/train_test_split.txt", "no 0/1 split for image " + std::to_string(id));
    REFF_REQUIRE(file.find("..") == std::string::npos && file.find('/') != std::string::npos &&
                     file.front() != '/',
                 cub_dir + "/images.txt", "'" + file + "' is not <species>/<file>");
    Bird bird;
    bird.file = file;
    bird.y = is_water_bird(file.substr(0, file.find('/')));
    bird.split = split->second == "1" ? 0 : 2;  // CUB: 1 train, 0 test
    birds.push_back(std::move(bird));
  }
  REFF_REQUIRE(!birds.empty(), cub_dir + "/images.txt", "lists no images");
  return birds;
}

// `count` of `items`, drawn without replacement by `rng`.
std::vector<size_t> draw(std::vector<size_t> items, size_t count, Rng& rng) {
  for (size_t i = 0; i < count; ++i) std::swap(items[i], items[i + rng.below(items.size() - i)]);
  items.resize(count);
  return items;
}

size_t rounded(double share, size_t n) {
  return std::min(n, static_cast<size_t>(std::lround(share * double(n))));
}

// The val split out of the training images, then each split's places.
void assign_splits_and_places(std::vector<Bird>& birds, const WaterbirdsSources& sources,
                              Rng& rng) {
  std::vector<size_t> train;
  for (size_t i = 0; i < birds.size(); ++i)
    if (birds[i].split == 0) train.push_back(i);
  for (auto i : draw(train, rounded(sources.val_share, train.size()), rng)) birds[i].split = 1;
  for (int64_t split = 0; split < 3; ++split) {
    for (int64_t y = 0; y < 2; ++y) {
      std::vector<size_t> members;
      for (size_t i = 0; i < birds.size(); ++i)
        if (birds[i].split == split && birds[i].y == y) members.push_back(i);
      // the share of this kind on water scenes
      const double water = split != 0 ? 0.5
                           : y == 1   ? sources.correlation
                                      : 1 - sources.correlation;
      for (auto i : draw(members, rounded(water, members.size()), rng)) birds[i].place = 1;
    }
  }
}

// The scenes of one kind, shuffled by rng: "<folder name>/<file>" and the file's path.
std::vector<std::pair<std::string, std::string>> list_scenes(const std::vector<std::string>& dirs,
                                                             const char* flag, Rng& rng) {
  REFF_REQUIRE(!dirs.empty(), flag, "at least one folder of scenes is required");
  std::vector<std::pair<std::string, std::string>> scenes;
  for (const auto& dir : dirs) {
    REFF_REQUIRE(fs::is_directory(dir), flag, dir + ": folder not found");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file() && is_image_file(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    auto name = fs::path(dir).lexically_normal().filename();
    if (name.empty()) name = fs::path(dir).lexically_normal().parent_path().filename();
    for (const auto& file : files)
      scenes.emplace_back((name / file.filename()).string(), file.string());
  }
  for (size_t i = scenes.size(); i > 1; --i) std::swap(scenes[i - 1], scenes[rng.below(i)]);
  return scenes;
}

// The scene cropped to the bird photograph's aspect ratio around its centre, resized to its size.
torch::Tensor fit_scene(const torch::Tensor& scene, int64_t height, int64_t width) {
  const auto h = scene.size(1), w = scene.size(2);
  int64_t crop_h = h, crop_w = w;
  if (w * height > h * width) {
    crop_w = std::max<int64_t>(1, h * width / height);
  } else {
    crop_h = std::max<int64_t>(1, w * height / width);
  }
  const auto crop = scene.slice(1, (h - crop_h) / 2, (h - crop_h) / 2 + crop_h)
                        .slice(2, (w - crop_w) / 2, (w - crop_w) / 2 + crop_w);
  return resize_image(crop.to(torch::kFloat32), height, width);
}

// The bird kept where its segmentation s marks it: scene (1 - s) + bird s.
void compose(const std::string& cub_dir, const Bird& bird, const std::string& out) {
  const auto image = read_image((fs::path(cub_dir) / "images" / bird.file).string());
  const auto seg_file =
      (fs::path(cub_dir) / "segmentations" / fs::path(bird.file).replace_extension(".png"))
          .string();
  const auto seg = read_image(seg_file);
  REFF_REQUIRE(seg.size(1) == image.size(1) && seg.size(2) == image.size(2), seg_file,
               "not the size of its image " + bird.file);
  const auto s = seg.select(0, 0).to(torch::kFloat32).div(255).unsqueeze(0);
  const auto scene = fit_scene(read_image(bird.scene), image.size(1), image.size(2));
  const auto composed = scene * (1 - s) + image.to(torch::kFloat32) * s;
  fs::create_directories(fs::path(out).parent_path());
  write_jpeg(out, composed.round().clamp(0, 255).to(torch::kUInt8));
}

}  // namespace

bool is_water_bird(const std::string& species) {
  const auto name = lower(species.substr(species.find('.') + 1));
  for (const char* water : kWaterBirds)
    if (name.find(water) != std::string::npos) return true;
  return false;
}

WaterbirdsCounts write_waterbirds(const WaterbirdsSources& sources, const std::string& dir,
                                  const std::function<void(int64_t, int64_t)>& progress) {
  REFF_REQUIRE(sources.correlation >= 0.5 && sources.correlation <= 1, "--correlation",
               "must be in [0.5, 1]");
  REFF_REQUIRE(sources.val_share >= 0 && sources.val_share < 1, "--val-share", "must be in [0, 1)");
  REFF_REQUIRE(!fs::exists(fs::path(dir) / kWaterbirdsMetadata), dir,
               "already holds a data set; choose an empty folder");
  Rng rng(sources.seed, 0x3A7E);
  auto birds = read_birds(sources.cub_dir);
  assign_splits_and_places(birds, sources, rng);
  const std::vector<std::pair<std::string, std::string>> scenes[2] = {
      list_scenes(sources.land, "--land", rng), list_scenes(sources.water, "--water", rng)};
  size_t used[2] = {0, 0};
  WaterbirdsCounts counts{};
  std::vector<std::string> scene_names(birds.size());
  for (size_t i = 0; i < birds.size(); ++i) {
    auto& bird = birds[i];
    const auto place = static_cast<size_t>(bird.place);
    REFF_REQUIRE(used[place] < scenes[place].size(), place ? "--water" : "--land",
                 std::to_string(scenes[place].size()) + " " + (place ? "water" : "land") +
                     " scenes are too few: each image needs its own");
    scene_names[i] = scenes[place][used[place]].first;
    bird.scene = scenes[place][used[place]++].second;
    ++counts[size_t(bird.split)][size_t(bird.y)][place];
  }
  fs::create_directories(dir);
  std::atomic<int64_t> done{0};
  at::parallel_for(0, static_cast<int64_t>(birds.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      compose(sources.cub_dir, birds[size_t(i)], (fs::path(dir) / birds[size_t(i)].file).string());
      const auto finished = done.fetch_add(1) + 1;
      if (progress && at::get_thread_num() == 0) progress(finished, int64_t(birds.size()));
    }
  });
  // metadata.csv last: a folder without it is not a data set, so a stopped run leaves none.
  std::ofstream csv(fs::path(dir) / kWaterbirdsMetadata);
  csv << "img_id,img_filename,y,split,place,place_filename\n";
  for (size_t i = 0; i < birds.size(); ++i) {
    const auto& bird = birds[i];
    csv << i + 1 << "," << bird.file << "," << bird.y << "," << bird.split << "," << bird.place
        << "," << scene_names[i] << "\n";
  }
  REFF_REQUIRE(csv.good(), dir, "could not write metadata.csv");
  return counts;
}

}  // namespace reff::data
