// JSON files that reff writes (configs, results, reports): written to a temporary file and renamed
// into place, so a crash or a full disk never leaves a half-written file under the real name.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace reff {

// Throw reff::Error naming the file when it cannot be written. write_text_file writes any bytes.
void write_text_file(const std::string& path, const std::string& text);
void write_json_file(const std::string& path, const nlohmann::json& json);
// Throws reff::Error naming the file when it is missing or not JSON.
nlohmann::json read_json_file(const std::string& path);
// An integer field of a file read from outside. Throws reff::Error("<where>: ...") for anything
// else: nlohmann would convert a float such as 3e95 to an integer with undefined behaviour.
int64_t json_integer(const nlohmann::json& value, const std::string& where);

}  // namespace reff
