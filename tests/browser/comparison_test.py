"""`reff report DIR` on a folder of run folders, in a real browser: one chart per quantity with a
line per run, the table's numbers equal to each run's best epoch in its metrics.jsonl, a link to
each run's own page, each run's Grad-CAM picture decoded, and no console errors. A DFR run
(`reff dfr`) is compared like the others.

usage: comparison_test.py REFF WORK_DIR [SCREENSHOT.png]"""
import json
import os
import shutil
import subprocess

from selenium.webdriver.common.by import By

from browser import chromium, no_console_errors_then_screenshot, test_setup

reff, work, data, screenshot = test_setup()
runs = os.path.join(work, "runs")
quiet = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
for name, method in (("baseline", "baseline"), ("reff", "reff")):
    subprocess.run([reff, "train", "--dataset", "folder", "--data", data, "--canvas", "24",
                    "--width", "4", "--epochs", "3", "--batch-size", "8", "--method", method,
                    "--test", "test", "--test", os.path.join(data, "shifted"),
                    "--out", os.path.join(runs, name)], **quiet)
balanced = os.path.join(work, "balanced")  # a validation folder: a copy, not the run's test set
shutil.copytree(os.path.join(data, "shifted"), balanced)
subprocess.run([reff, "dfr", os.path.join(runs, "baseline"), "--val", balanced, "--ensembles", "2",
                "--out", os.path.join(runs, "dfr")], **quiet)
os.makedirs(os.path.join(runs, "notes"))  # not a run: left out
subprocess.run([reff, "report", runs], **quiet)
report = os.path.join(runs, "report.html")
names = ["baseline", "dfr", "reff"]


def best_epoch(epochs):  # the trainer's rule: the first epoch with the highest val score
    def score(epoch):
        value = epoch["val"].get(epoch["val"].get("selects_on", "accuracy"))
        return -0.5 if value is None else value
    return max(enumerate(epochs), key=lambda ie: (score(ie[1]), -ie[0]))[1]


driver = chromium(1300, 1100)
try:
    driver.get("file://" + os.path.abspath(report))
    charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) >= 4, f"{len(charts)} charts"  # val, test, shifted, a loss
    for chart in charts[:3]:
        legend = chart.text
        for name in names:
            assert name in legend, f"'{name}' is not in the legend of a chart: {legend}"
        assert len(chart.find_elements(By.TAG_NAME, "path")) >= 2
    rows = driver.find_elements(By.CSS_SELECTOR, "table tr")[1:]
    assert len(rows) == 3, f"{len(rows)} rows"
    for row, name in zip(rows, names):
        epochs = [json.loads(l) for l in open(os.path.join(runs, name, "metrics.jsonl"))]
        best = best_epoch(epochs)
        link = row.find_element(By.TAG_NAME, "a")
        assert link.text == name and link.get_attribute("href").endswith(f"{name}/report.html")
        assert os.path.exists(os.path.join(runs, name, "report.html")), f"{name} has no page"
        shown = row.find_element(By.CSS_SELECTOR, "span.val").text
        assert shown == f"{100 * best['val']['accuracy']:.1f} %", (name, shown, best["val"])
        for span in row.find_elements(By.CSS_SELECTOR, "span.test"):
            test = span.get_attribute("data-test")
            expected = f"{100 * best['tests'][test]['accuracy']:.1f} %"
            assert span.text == expected, (name, test, span.text, expected)
    assert "DFR of baseline" in rows[1].text, rows[1].text
    pictures = driver.find_elements(By.CSS_SELECTOR, "img")
    assert len(pictures) == 3, f"{len(pictures)} pictures"
    for picture in pictures:
        assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth",
                                     picture) > 50
    no_console_errors_then_screenshot(driver, screenshot)
finally:
    driver.quit()
print(f"comparison: {len(charts)} charts, {len(rows)} runs, numbers equal to metrics.jsonl")
