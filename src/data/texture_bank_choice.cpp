#include "reff/data/texture_bank_choice.h"

#include "reff/data/image_texture_bank.h"
#include "reff/data/procedural_texture_bank.h"
#include "reff/error.h"

namespace reff::data {

const char* const kGimpPatternDir = "/usr/share/gimp/2.0/patterns";

std::shared_ptr<const TextureBank> open_texture_bank(const TextureSource& source) {
  if (source.kind == "gimp") {
    return load_gimp_patterns(source.path.empty() ? kGimpPatternDir : source.path);
  }
  if (source.kind == "dtd") {
    REFF_REQUIRE(!source.path.empty(), "--texture-dir", "the dtd bank needs the DTD folder's path");
    return load_dtd_folder(source.path);
  }
  if (source.kind == "procedural" || source.kind == "varied") {
    REFF_REQUIRE(source.path.empty(), "--texture-dir",
                 "the " + source.kind + " bank reads no folder");
    return std::make_shared<ProceduralTextureBank>(source.kind == "varied"
                                                       ? ProceduralTextureBank::Colouring::varied
                                                       : ProceduralTextureBank::Colouring::fixed);
  }
  throw Error("--textures: '" + source.kind + "' is not one of gimp, dtd, procedural, varied");
}

}  // namespace reff::data
