"""Headless Chromium for the browser tests, driven by Debian's python3-selenium and
chromium-driver (no network: Selenium Manager is never asked for a driver)."""
import os
import shutil
import subprocess
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def chromium(width=1280, height=900):
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not os.path.exists(driver_path):
        sys.exit("chromedriver not found: install chromium-driver (scripts/install-deps)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--no-proxy-server"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


def console_errors(driver):
    """The page's console messages of level SEVERE (errors, failed requests)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def no_console_errors_then_screenshot(driver, screenshot):
    """Fails on any console error; keeps a screenshot of the page when a path is given."""
    errors = console_errors(driver)
    assert not errors, errors
    if screenshot:
        driver.save_screenshot(screenshot)


def test_setup():
    """The command line (REFF WORK_DIR [SCREENSHOT.png]) and the layout example, written into a
    fresh WORK_DIR/data: returns (reff, work, data, screenshot)."""
    reff, work = sys.argv[1], sys.argv[2]
    screenshot = sys.argv[3] if len(sys.argv) > 3 else None
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    data = os.path.join(work, "data")
    subprocess.run([reff, "data", "layout-example", "--dataset", "folder", "--out", data],
                   check=True, stdout=subprocess.DEVNULL)
    return reff, work, data, screenshot
