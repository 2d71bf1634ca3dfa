"""`reff tune`'s report.html in a real browser: the ranking table holds every configuration of
results.json in its order with its mean select score, the winner first and in bold, each seed's
link opens that cell's own page, the comparison below it links into compare/ and draws its
Grad-CAM pictures, and the page logs no console error.

usage: tune_report_test.py REFF WORK_DIR [SCREENSHOT.png]"""
import json
import os
import subprocess

from selenium.webdriver.common.by import By

from browser import chromium, no_console_errors_then_screenshot, test_setup

reff, work, data, screenshot = test_setup()
sweep = os.path.join(work, "sweep")
subprocess.run([reff, "tune", "--dataset", "folder", "--data", data, "--canvas", "24", "--width",
                "4", "--epochs", "2", "--batch-size", "8", "--explain-count", "8", "--val",
                os.path.join(data, "shifted"), "--test", "test", "--seeds", "2", "--grow", "0",
                "--methods", "baseline,reff", "--lambdas", "reff:1e-3", "--annotator", "none",
                "--out", sweep],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
results = json.load(open(os.path.join(sweep, "results.json")))
ranking = results["ranking"]
assert len(ranking) == 4, [e["label"] for e in ranking]

driver = chromium(1300, 1100)
try:
    driver.get("file://" + os.path.join(sweep, "report.html"))
    table = driver.find_elements(By.TAG_NAME, "table")[0]
    rows = table.find_elements(By.TAG_NAME, "tr")[1:]
    assert len(rows) == len(ranking), f"{len(rows)} rows for {len(ranking)} configurations"
    for rank, (row, entry) in enumerate(zip(rows, ranking), 1):
        cells = row.find_elements(By.TAG_NAME, "td")
        assert cells[0].text == str(rank)
        assert cells[1].text == entry["label"], (cells[1].text, entry["label"])
        assert cells[2].text.startswith(f"{100 * entry['select_mean']:.1f} %"), cells[2].text
        links = cells[3].find_elements(By.TAG_NAME, "a")
        assert len(links) == len(entry["seeds"]), cells[3].text
        for link, seed in zip(links, entry["seeds"]):
            target = link.get_attribute("href")
            assert target.endswith(f"runs/{seed['cell']}/report.html"), target
            assert os.path.exists(target[len("file://"):]), f"{target} was not written"
    assert rows[0].find_elements(By.TAG_NAME, "b"), "the winner is not in bold"
    winner = driver.find_element(By.CSS_SELECTOR, "p.best").text
    assert winner.startswith("Winner: " + ranking[0]["label"]), winner
    compared = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "table a")
                if "/compare/" in a.get_attribute("href")]
    assert compared, "the comparison links nowhere into compare/"
    for target in compared:
        assert os.path.exists(target[len("file://"):]), f"{target} was not written"
    pictures = driver.find_elements(By.TAG_NAME, "img")
    assert pictures and all(
        driver.execute_script("return arguments[0].naturalWidth", p) > 0 for p in pictures)
    no_console_errors_then_screenshot(driver, screenshot)
finally:
    driver.quit()
print("tune report: ranking, links, comparison and pictures checked")
