#include "report_command.h"

#include "reff/report/html_report.h"

#include <iostream>
#include <memory>

namespace reff::cli {

void add_report_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto* command = app.add_subcommand(
      "report",
      "Write report.html (curves, explanation metrics, Grad-CAMs, tables) for a run "
      "or an experiment folder");
  command->add_option("dir", *dir, "Run folder or experiment folder")->required();
  command->callback([dir] {
    const auto path = report::write_html_report(*dir);
    std::cout << "wrote " << path << "\n";
  });
}

}  // namespace reff::cli
