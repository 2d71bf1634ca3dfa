// CSV as spreadsheets and pandas write it (RFC 4180): a header line, then rows of the same
// number of fields; fields may be quoted ("a, b", "say ""hi"""), lines end in LF or CRLF, a UTF-8
// byte-order mark and blank lines are skipped.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace reff::data {

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> lines;  // the line each row starts on (1: the header)
  // The column named `name`, or -1.
  int64_t column(const std::string& name) const;
};

// Throws reff::Error("<where>: line N: ...") for an unclosed quote, a row with another field
// count than the header, an empty or repeated column name, or a NUL byte.
CsvTable parse_csv(const std::string& text, const std::string& where);
CsvTable read_csv(const std::string& path);

}  // namespace reff::data
