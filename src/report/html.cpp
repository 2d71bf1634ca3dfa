#include "reff/report/html.h"

#include "reff/data/base64.h"
#include "reff/file_bytes.h"

#include <cmath>
#include <sstream>

namespace reff::report {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream html;
  html << "<table><thead><tr>";
  for (const auto& cell : header) html << "<th>" << cell << "</th>";
  html << "</tr></thead><tbody>";
  for (const auto& row : rows) {
    html << "<tr>";
    for (const auto& cell : row) html << "<td>" << cell << "</td>";
    html << "</tr>";
  }
  html << "</tbody></table>";
  return html.str();
}

std::string inline_png(const std::string& path, const std::string& alt) {
  const auto file = read_file_bytes(path);
  const std::vector<uint8_t> bytes(file.begin(), file.end());
  return "<img alt=\"" + escape(alt) + "\" src=\"data:image/png;base64," +
         data::encode_base64(bytes) + "\">";
}

std::string percent_text(double value) {
  if (!std::isfinite(value)) return "-";
  std::ostringstream text;
  text.setf(std::ios::fixed);
  text.precision(1);
  text << 100 * value << " %";
  return text.str();
}

std::string html_page(const std::string& title, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
         escape(title) +
         "</title><style>\n"
         "body{font:14px system-ui,sans-serif;margin:24px auto;max-width:1120px;color:#222;"
         "padding:0 16px}\n"
         "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}\n"
         "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;"
         "padding:3px 8px;text-align:right}th{background:#f4f4f6}td:first-child,"
         "th:first-child{text-align:left}\n"
         ".charts{display:flex;flex-wrap:wrap;gap:8px}.chart{border:1px solid #eee}\n"
         ".chart .title{font-weight:bold;text-anchor:middle;font-size:13px}"
         ".chart .tick,.chart .legend{font-size:11px;fill:#444}.chart .label{font-size:12px}"
         ".chart .grid{stroke:#eee}.chart .axis{stroke:#888}\n"
         "img{max-width:100%;image-rendering:pixelated}pre{background:#f6f6f6;padding:8px;"
         "overflow:auto}.paper{color:#777}.best{font-weight:bold}.note{color:#555}\n"
         "</style></head><body>\n" +
         body + "\n</body></html>\n";
}

}  // namespace reff::report
