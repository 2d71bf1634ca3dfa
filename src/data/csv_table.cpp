#include "reff/data/csv_table.h"

#include "reff/error.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace reff::data {

int64_t CsvTable::column(const std::string& name) const {
  const auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : it - header.begin();
}

CsvTable parse_csv(const std::string& text, const std::string& where) {
  size_t at = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  int64_t line = 1;
  std::vector<std::vector<std::string>> records;
  std::vector<int64_t> starts;
  while (at < text.size()) {
    std::vector<std::string> fields(1);
    const int64_t start = line;
    bool quoted = false, was_quoted = false;
    for (; at < text.size(); ++at) {
      const char c = text[at];
      REFF_REQUIRE(c != '\0', where,
                   "line " + std::to_string(line) + ": NUL byte (not a text file?)");
      if (quoted) {
        if (c == '"' && at + 1 < text.size() && text[at + 1] == '"') {
          fields.back() += '"';
          ++at;
        } else if (c == '"') {
          quoted = false;
        } else {
          if (c == '\n') ++line;
          fields.back() += c;
        }
      } else if (c == '"' && fields.back().empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == ',') {
        fields.emplace_back();
        was_quoted = false;
      } else if (c == '\n') {
        ++at;
        ++line;
        break;
      } else if (c == '\r' && at + 1 < text.size() && text[at + 1] == '\n') {
        continue;
      } else {
        REFF_REQUIRE(!was_quoted, where,
                     "line " + std::to_string(line) + ": text after a closing quote");
        fields.back() += c;
      }
    }
    REFF_REQUIRE(!quoted, where, "line " + std::to_string(start) + ": quote not closed");
    if (fields.size() == 1 && fields[0].empty() && !was_quoted) continue;  // blank line
    records.push_back(std::move(fields));
    starts.push_back(start);
  }
  REFF_REQUIRE(!records.empty(), where, "empty (no header line)");
  CsvTable table;
  table.header = std::move(records.front());
  std::set<std::string> seen;
  for (const auto& name : table.header) {
    REFF_REQUIRE(!name.empty(), where, "line 1: a column has no name");
    REFF_REQUIRE(seen.insert(name).second, where, "line 1: column '" + name + "' appears twice");
  }
  for (size_t i = 1; i < records.size(); ++i) {
    REFF_REQUIRE(records[i].size() == table.header.size(), where,
                 "line " + std::to_string(starts[i]) + ": " + std::to_string(records[i].size()) +
                     " fields, the header has " + std::to_string(table.header.size()));
    table.rows.push_back(std::move(records[i]));
    table.lines.push_back(starts[i]);
  }
  return table;
}

CsvTable read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REFF_REQUIRE(in.good(), path, "cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return parse_csv(text.str(), path);
}

}  // namespace reff::data
