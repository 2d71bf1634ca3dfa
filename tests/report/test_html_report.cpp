// report.html (html_report.h, svg_chart.h, html.h): the run page holds a chart per quantity
// with the run's numbers, the pictures inline, and escapes what it quotes.
#include "fixtures.h"
#include "reff/data/base64.h"
#include "reff/data/image_file.h"
#include "reff/report/html.h"
#include "reff/report/html_report.h"
#include "reff/report/svg_chart.h"

#include <gtest/gtest.h>

namespace reff::report {
namespace {
namespace fs = std::filesystem;

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(SvgChart, TicksAreRoundAndCoverTheRange) {
  auto expect_ticks = [](const std::vector<double>& ticks, const std::vector<double>& expected) {
    ASSERT_EQ(ticks.size(), expected.size());
    for (size_t i = 0; i < ticks.size(); ++i) EXPECT_NEAR(ticks[i], expected[i], 1e-12);
  };
  expect_ticks(nice_ticks(0, 1, 5), {0, 0.2, 0.4, 0.6, 0.8, 1.0});
  expect_ticks(nice_ticks(1, 10, 6), {0, 2, 4, 6, 8, 10});
  expect_ticks(nice_ticks(1, 3, 3), {1, 2, 3});
  const auto ticks = nice_ticks(3, 3, 5);  // one value: still an axis
  EXPECT_LE(ticks.front(), 3);
  EXPECT_GE(ticks.back(), 3);
}

TEST(SvgChart, DrawsOneLinePerSeriesWithGapsAndLabels) {
  Chart chart{"Accuracy <test>", "epoch", "accuracy", {}, true};
  chart.series.push_back({"val", {1, 2, 3}, {0.5, 0.6, 0.7}});
  chart.series.push_back({"shift", {1, 2, 3}, {0.1, NAN, 0.3}});
  const auto svg = svg_chart(chart);
  EXPECT_EQ(count(svg, "<path"), 2u);
  EXPECT_EQ(count(svg, "<circle"), 5u);  // the NaN is no point
  EXPECT_NE(svg.find("Accuracy &lt;test&gt;"), std::string::npos);
  EXPECT_NE(svg.find("accuracy (%)"), std::string::npos);
  EXPECT_NE(svg.find(">100<"), std::string::npos);  // the y axis in percent
  EXPECT_NE(svg_chart({"empty", "x", "y", {}, false}).find("no values"), std::string::npos);
}

TEST(Html, EscapesAndInlinesPngs) {
  EXPECT_EQ(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  EXPECT_EQ(data::encode_base64({'M', 'a', 'n'}), "TWFu");
  EXPECT_EQ(data::encode_base64({'M', 'a'}), "TWE=");
  EXPECT_EQ(data::encode_base64({'M'}), "TQ==");
  const std::vector<uint8_t> bytes{0, 255, 17, 3, 250};
  EXPECT_EQ(data::decode_base64(data::encode_base64(bytes), "x"), bytes);
  EXPECT_EQ(percent_text(0.4567), "45.7 %");
  EXPECT_EQ(percent_text(NAN), "-");
}

TEST(HtmlReport, RunPageHasCurvesMetricsPicturesAndConfig) {
  const auto dir = test::fresh_dir("html_report_run");
  test::write_file(
      dir / "config.json",
      R"({"data": {"dataset": "folder"}, "preset": "cpu", "train": {"method": "reff"}})");
  std::string lines;
  for (int epoch = 1; epoch <= 3; ++epoch) {
    const auto e = std::to_string(epoch);
    lines += R"({"epoch": )" + e + R"(, "train": {"accuracy": 0.)" + e + R"(, "main_loss": 1.)" +
             e + R"(, "explanation_loss": 2.)" + e + R"(}, "val": {"accuracy": 0.8)" + e +
             R"(, "layers": [{"mass_inside": 0.5, "explained": 3}, {"mass_inside": null}]},)" +
             R"( "tests": {"shift": {"accuracy": 0.4)" + e + R"(, "layers": []}}})" + "\n";
  }
  test::write_file(dir / "metrics.jsonl", lines + "not json\n");
  data::write_png((dir / "explanations.png").string(), torch::zeros({3, 2, 2}, torch::kUInt8));
  const auto path = write_html_report(dir.string());
  EXPECT_EQ(path, (dir / kReportHtml).string());
  const auto html = test::read_file(path);
  EXPECT_NE(html.find("reff run html_report_run"), std::string::npos);
  EXPECT_NE(html.find("reff on folder"), std::string::npos);
  EXPECT_NE(html.find(">Accuracy<"), std::string::npos);
  EXPECT_NE(html.find(">Training main_loss<"), std::string::npos);  // a chart per loss term
  EXPECT_NE(html.find(">Training explanation_loss<"), std::string::npos);
  EXPECT_NE(html.find(">shift<"), std::string::npos);
  EXPECT_NE(html.find("43.0 %"), std::string::npos);  // shift accuracy at the last epoch
  EXPECT_NE(html.find("val: mass_inside"), std::string::npos);
  EXPECT_NE(html.find("data:image/png;base64,"), std::string::npos);
  EXPECT_NE(html.find("&quot;method&quot;: &quot;reff&quot;"), std::string::npos);
  test::expect_error_mentioning([] { write_html_report(test::fresh_dir("html_none").string()); },
                                "neither a run folder");
}

TEST(HtmlReport, ExperimentPageHasTheTableWithTheSeedsNumbersAndTheCells) {
  const auto dir = test::fresh_dir("html_report_experiment");
  test::write_file(dir / "results.json", R"({
    "table": "table3", "preset": "micro", "seeds": [0], "test": "test",
    "chosen": {"reff": 1e-05},
    "accuracy": {"1.0": {"baseline": {"mean": 0.9, "std": 0, "seeds": 1, "failed": 0},
                         "reff": {"mean": 0.8, "std": 0, "seeds": 1, "failed": 0}}},
    "cells": [{"id": "baseline-q1-seed0", "status": "done", "seconds": 3, "error": "",
               "result": {"tests": {"test": {"accuracy": 0.9}}}},
              {"id": "reff-q1-seed0", "status": "failed", "seconds": 1, "error": "NaN <loss>"}]})");
  const auto html = test::read_file(write_html_report(dir.string()));
  EXPECT_NE(html.find("<span class=\"best\">90.0 %</span>"), std::string::npos);
  EXPECT_NE(html.find("paper 99.46 ± 0.05 %"), std::string::npos);  // the paper's Table 3
  EXPECT_NE(html.find("NaN &lt;loss&gt;"), std::string::npos);
  EXPECT_NE(html.find(">baseline-q1-seed0<"), std::string::npos);
}

}  // namespace
}  // namespace reff::report
