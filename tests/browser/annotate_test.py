"""reff annotate in a real browser: paint a stroke with the mouse, undo it, paint another, save,
and find exactly the second stroke in the PNG on disk; reload and see it again; a wrong token
gets 403 and writes nothing; SIGINT stops the server.

usage: annotate_test.py REFF WORK_DIR [SCREENSHOT.png]"""
import atexit
import math
import os
import signal
import subprocess
import urllib.error
import urllib.request

import numpy as np
from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from browser import chromium, no_console_errors_then_screenshot, test_setup

reff, work, data, screenshot = test_setup()
masks = os.path.join(work, "masks")

server = subprocess.Popen([reff, "annotate", "--data", data, "--n", "1", "--out", masks],
                          stdout=subprocess.PIPE, text=True)
atexit.register(server.kill)  # whatever fails below, no server is left behind
url = None
for line in server.stdout:
    if line.startswith("open "):
        url = line.split()[1]
        break
assert url, "reff annotate printed no URL"
base, token = url.split("/?token=")
no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def status_of(request):
    try:
        return no_proxy.open(request, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


# A wrong token: 403, nothing written.
assert status_of(base + "/api/items?token=wrong") == 403
blank = Image.new("L", (48, 48))
blank.save(os.path.join(work, "blank.png"))
body = open(os.path.join(work, "blank.png"), "rb").read()
put = urllib.request.Request(base + "/api/mask/0?token=wrong", data=body, method="PUT")
assert status_of(put) == 403
# The right token but a mask of the wrong size: 400, nothing written.
Image.new("L", (47, 48)).save(os.path.join(work, "small.png"))
small = open(os.path.join(work, "small.png"), "rb").read()
assert status_of(urllib.request.Request(f"{base}/api/mask/0?token={token}", data=small,
                                        method="PUT")) == 400
assert not os.path.exists(masks), "a refused upload wrote something"

driver = chromium()
try:
    driver.get(url)
    wait = WebDriverWait(driver, 20)
    wait.until(lambda d: d.find_element(By.ID, "status").text == "not saved yet")
    name = driver.find_element(By.ID, "name").text  # train/<class>/<stem>.png
    zoom = int(driver.find_element(By.ID, "zoom").get_attribute("value"))
    driver.execute_script("const s = document.getElementById('size'); s.value = 6; s.oninput();")
    radius = 3.0
    canvas = driver.find_element(By.ID, "view")
    width, height = canvas.size["width"], canvas.size["height"]

    def stroke(points):
        """Drags through image coordinates; returns them as the page maps them."""
        actions = ActionChains(driver, duration=10)
        # Selenium 4 offsets are from the element's centre.
        to_offset = lambda p: (round(p[0] * zoom - width / 2), round(p[1] * zoom - height / 2))
        start = to_offset(points[0])
        actions.move_to_element_with_offset(canvas, *start).click_and_hold()
        last = start
        for p in points[1:]:
            o = to_offset(p)
            actions.move_by_offset(o[0] - last[0], o[1] - last[1])
            last = o
        actions.release().perform()
        return [((o[0] + width / 2) / zoom, (o[1] + height / 2) / zoom)
                for o in map(to_offset, points)]

    first = stroke([(8, 10), (40, 10)])
    painted = int(driver.find_element(By.ID, "painted").text)
    assert painted > 0, "the first stroke painted nothing"
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("z").key_up(Keys.CONTROL).perform()
    assert driver.find_element(By.ID, "painted").text == "0", "undo left paint behind"
    second = stroke([(24, 8), (24, 26), (24, 40)])
    driver.find_element(By.ID, "save").click()
    wait.until(lambda d: d.find_element(By.ID, "status").text == "saved")

    stem = os.path.splitext(os.path.basename(name))[0]
    klass = os.path.basename(os.path.dirname(name))
    saved = os.path.join(masks, "train", klass, stem + ".png")
    mask = np.array(Image.open(saved)) == 255

    # Expected: the pixels whose centre lies within the brush radius of the second stroke's
    # path; pixels within one pixel of the edge may go either way (the mouse moves in whole
    # screen pixels, the brush is stamped every quarter pixel).
    ys, xs = np.mgrid[0:mask.shape[0], 0:mask.shape[1]] + 0.5
    distance = np.full(mask.shape, np.inf)
    for (ax, ay), (bx, by) in zip(second, second[1:]):
        length = max(math.hypot(bx - ax, by - ay), 1e-9)
        t = np.clip(((xs - ax) * (bx - ax) + (ys - ay) * (by - ay)) / length**2, 0, 1)
        distance = np.minimum(distance, np.hypot(xs - (ax + t * (bx - ax)), ys - (ay + t * (by - ay))))
    inside, outside = distance <= radius - 1, distance > radius + 1
    assert mask[inside].all(), f"{(~mask[inside]).sum()} pixels of the stroke are missing"
    assert not mask[outside].any(), f"{mask[outside].sum()} pixels painted outside the stroke"
    first_only = np.zeros(mask.shape, bool)
    first_only[9:11, 10:18] = first_only[9:11, 31:38] = True  # the undone stroke, off the second
    assert not mask[first_only].any(), "the undone stroke was saved"
    assert int(driver.find_element(By.ID, "painted").text) == int(mask.sum())

    driver.refresh()  # resumes at the first image not saved yet; back to the saved one
    wait.until(lambda d: d.find_element(By.ID, "position").text == "2 of 3")
    driver.find_element(By.ID, "prev").click()
    wait.until(lambda d: d.find_element(By.ID, "status").text == "saved earlier")
    assert int(driver.find_element(By.ID, "painted").text) == int(mask.sum()), \
        "the reloaded page does not show the saved mask"
    progress = driver.find_element(By.ID, "progress").text
    assert "1 of 3" in progress, progress  # all classes: 1 of the 3 chosen images saved
    no_console_errors_then_screenshot(driver, screenshot)
finally:
    driver.quit()

before = open(saved, "rb").read()
server.send_signal(signal.SIGINT)
assert server.wait(timeout=10) == 0, "reff annotate did not stop cleanly on SIGINT"
assert open(saved, "rb").read() == before
leftovers = [f for _, _, files in os.walk(masks) for f in files if not f.endswith(".png")]
assert not leftovers, leftovers
print(f"annotate: stroke of {int(mask.sum())} pixels saved and reloaded; 403, 400 and SIGINT ok")
