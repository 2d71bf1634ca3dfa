"""A micro run's report.html in a real browser: the charts rendered (SVG lines with points),
their axis labels and the run's numbers are on the page, the Grad-CAM picture decoded, and the
console stayed free of errors.

usage: report_test.py REFF WORK_DIR [SCREENSHOT.png]"""
import json
import os
import subprocess

from selenium.webdriver.common.by import By

from browser import chromium, no_console_errors_then_screenshot, test_setup

reff, work, data, screenshot = test_setup()
run = os.path.join(work, "run")
subprocess.run([reff, "train", "--dataset", "folder", "--data", data, "--canvas", "24",
                "--width", "4", "--epochs", "3", "--batch-size", "8", "--method", "reff",
                "--test", "test", "--test", os.path.join(data, "shifted"), "--out", run],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
report = os.path.join(run, "report.html")
assert os.path.exists(report), "reff train wrote no report.html"
epochs = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))]

driver = chromium(1200, 1000)
try:
    driver.get("file://" + os.path.abspath(report))
    charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) >= 4, f"{len(charts)} charts"
    for chart in charts[:2]:  # accuracy and losses: drawn lines with a point per epoch
        assert chart.size["width"] > 200 and chart.size["height"] > 150, chart.size
        paths = chart.find_elements(By.TAG_NAME, "path")
        assert paths and all(len(p.get_attribute("d")) > 10 for p in paths)
        points = chart.find_elements(By.TAG_NAME, "circle")
        assert len(points) >= len(epochs), len(points)
        box = driver.execute_script("return arguments[0].querySelector('path').getBBox();", chart)
        assert box["width"] > 50, f"a line of {box['width']} px"
    text = driver.find_element(By.TAG_NAME, "body").text
    for label in ("epoch", "accuracy (%)", "Training main_loss", "Training reff_loss",
                  "shifted", "layer1", "mass_inside"):
        assert label in text, f"'{label}' is not on the page"
    last = epochs[-1]
    for name in ("test", "shifted"):
        shown = f"{100 * last['tests'][name]['accuracy']:.1f} %"
        assert shown in text, f"{name} accuracy {shown} is not on the page"
    picture = driver.find_element(By.CSS_SELECTOR, "img")
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", picture) > 100
    no_console_errors_then_screenshot(driver, screenshot)
finally:
    driver.quit()
print(f"report: {len(charts)} charts, {len(epochs)} epochs, numbers and picture present")
