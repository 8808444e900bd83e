"""Screenshots of the web widget answering a question, in headless Chromium at a desktop and a phone width.

    .venv/bin/metricqa serve --demo --port 8765 &
    .venv/bin/python scripts/widget_screenshots.py http://127.0.0.1:8765 "本月各区域销售额与目标对比" docs/images/issue12

Writes widget-1280.png and widget-390.png into the directory (the demo page at /, the widget open).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT_S = 60.0
ROOT_JS = "const r = document.querySelector('#metricqa-widget'); const s = r && r.shadowRoot;"


def driver(width: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", f"--window-size={width},900",
                "--lang=zh-CN", "--disable-dev-shm-usage", "--force-device-scale-factor=2"):  # fmt: skip
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def chart_loaded(drv: webdriver.Chrome) -> bool:
    return bool(drv.execute_script(ROOT_JS + "const i = s && s.querySelector('img.mqa-chart');"
                                   "return !!(i && i.complete && i.naturalWidth > 0);"))  # fmt: skip


def shoot(api: str, question: str, out: Path, width: int) -> Path:
    drv = driver(width)
    try:
        drv.get(api + "/")
        WebDriverWait(drv, WAIT_S).until(
            lambda d: d.execute_script(ROOT_JS + "return !!(s && s.querySelector('textarea'));")
        )
        box = drv.execute_script(ROOT_JS + "return s.querySelector('textarea');")
        box.send_keys(question, Keys.ENTER)
        WebDriverWait(drv, WAIT_S).until(chart_loaded)
        time.sleep(0.5)
        drv.execute_script(
            ROOT_JS + "const i = s.querySelector('img.mqa-chart'); i.scrollIntoView({block: 'start'});"
        )
        path = out / f"widget-{width}.png"
        drv.save_screenshot(str(path))
        return path
    finally:
        drv.quit()


def main(argv: list[str]) -> int:
    api, question, out = argv[1], argv[2], Path(argv[3])
    out.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        print(shoot(api, question, out, width))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
