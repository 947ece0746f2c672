"""The workbook in a real browser: RISE slides at a projector's 1280x720, and JupyterLab.

A real JupyterLab server (this venv, a free loopback port, a token) serves a temporary copy of
the notebooks; Debian's /usr/bin/chromium is driven by selenium through /usr/bin/chromedriver
(never a downloaded browser). Skipped when Chromium is missing, except under CI (CI set),
where it fails instead.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from courselab import editions, startup

from .realkernel import copy_notebooks, read

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
W, H = 1280, 720
HAVE_BROWSER = os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)
if not HAVE_BROWSER and not os.environ.get("CI"):
    pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver (apt-get install chromium "
                "chromium-driver)", allow_module_level=True)

DECKS = ["01-Entities-And-Relationships.ipynb", "11-Denormalized-Counters.ipynb",
         "22-Admin-Dashboard.ipynb"]  # 11: the longest migration, a slide of it at a time

# What the present slide shows: text and pictures not wholly on screen, the "Click to add a
# cell." bar if visible, pictures in outputs; its key counts the fragments shown; `last` is
# true when the space key can go no further. Content in a box that scrolls counts as cut off:
# a projected slide must show everything without scrolling.
SLIDE = r"""
const ps = [...document.querySelectorAll('.reveal .slides section.present')];
if (!ps.length) return null;
const p = ps[ps.length - 1];
const seen = el => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
const clipped = (el, r) => {  // past the right edge of a box that hides or scrolls overflow
  for (let a = el.parentElement; a && a !== p; a = a.parentElement) {
    if (getComputedStyle(a).overflowX === 'visible') continue;
    if (r.right > a.getBoundingClientRect().right + 1) return true;
  }
  return false;
};
const out = {key: JSON.stringify([...ps.map(s => [...s.parentElement.children].indexOf(s)),
                                  p.querySelectorAll('.fragment.visible').length]),
             cut: [], pictures: 0, svgs: 0, bar: false,
             last: !document.querySelector('.reveal .controls :is(.navigate-right, .navigate-down)'
                                           + '.enabled')};
const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
let n;
while ((n = walker.nextNode())) {
  if (!n.nodeValue.trim() || !n.parentElement || !seen(n.parentElement)) continue;
  const range = document.createRange(); range.selectNodeContents(n);
  for (const r of range.getClientRects()) {
    if (r.width > 0.5 && (r.bottom > innerHeight + 1 || r.right > innerWidth + 1 || r.top < -1
                          || clipped(n.parentElement, r)))
      out.cut.push(n.nodeValue.trim().slice(0, 40));
  }
}
for (const el of p.querySelectorAll('.jp-OutputArea-output img, .jp-OutputArea-output svg')) {
  const r = el.getBoundingClientRect();
  if (!seen(el) || r.width < 300 || r.height < 150) continue;
  out.pictures++;
  if (el.tagName === 'svg' || (el.src || '').startsWith('data:image/svg+xml')) out.svgs++;
  if (r.bottom > innerHeight + 1 || r.right > innerWidth + 1) out.cut.push('<picture>');
}
for (const el of document.querySelectorAll('.jp-Notebook-footer')) {
  const r = el.getBoundingClientRect();
  if (seen(el) && r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight) {
    out.bar = true;
  }
}
return out;
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, token): JupyterLab serving a copy of notebooks/ and student/."""
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    copy_notebooks("notebooks", root / "notebooks")
    copy_notebooks("student", root / "student")
    token = secrets.token_hex(16)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "IPYTHONDIR": str(tmp / "ipython"), "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_DATA_DIR": str(tmp / "data"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    startup.profile(tmp / "ipython")
    # No transition: reveal.js only animates the way between two slides, each slide at rest is
    # laid out alike (theme, size and scroll stay the notebooks'); a step is then over at once.
    rise = tmp / "settings" / "jupyterlab-rise"
    rise.mkdir(parents=True)
    (rise / "plugin.jupyterlab-settings").write_text(
        json.dumps({"transition": "none", "auto_select_timeout": 0}))
    # as `make lab` does: our notebooks are trusted, so their stored SVG outputs show
    subprocess.run([sys.executable, "-m", "jupyter", "trust",
                    *map(str, sorted(root.glob("*/*.ipynb")))], env=env, check=True,
                   capture_output=True)
    log = open(tmp / "server.log", "w")  # noqa: SIM115 (closed below, after the server)
    for _attempt in range(3):  # the free port can be taken before the server binds it
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
             f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={root}", "--allow-root"],
            env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        if _answers(server, f"{base}/api/status", token):
            break
        _stop(server)
    else:
        log.close()
        pytest.fail("JupyterLab did not start: " + (tmp / "server.log").read_text()[-300:])
    try:
        yield base, token
    finally:
        _stop(server)
        log.close()


def _stop(server):
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _answers(server, url, token):
    """True once the server answers `url`; False if it ended first or took a minute."""
    for _ in range(120):
        if server.poll() is not None:
            return False
        try:
            _get(url, token)
            return True
        except OSError:
            time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", f"--window-size={W},{H}",
                 f"--user-data-dir={tmp_path_factory.mktemp('chrome')}"):
        options.add_argument(flag)
    for attempt in range(1, 4):  # chromedriver's free port can be taken before it binds it
        try:
            driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
            break
        except WebDriverException:
            if attempt == 3:
                raise
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": W, "height": H, "deviceScaleFactor": 1, "mobile": False})
    yield driver
    driver.quit()


def wait_for(driver, script, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for: {script[:80]}")


def settle(driver):
    """Wait until the present slide stops moving."""
    last = None
    for _ in range(120):
        now = driver.execute_script(
            "const ps = document.querySelectorAll('.reveal .slides section.present');"
            "const r = ps[ps.length - 1].getBoundingClientRect();"
            "return [r.left, r.top, r.width, r.height];")
        if now == last:
            return
        last = now
        time.sleep(0.05)


def slides(driver, url):
    """Step through a deck with the space key; return what each step showed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(url)
    wait_for(driver, "return !!document.querySelector('.reveal.ready .slides section.present')")
    time.sleep(1)  # outputs and fonts settle
    steps, keys = [], set()
    body = driver.find_element(By.TAG_NAME, "body")
    while True:
        settle(driver)
        state = driver.execute_script(SLIDE)
        if state["key"] in keys:
            return steps
        keys.add(state["key"])
        steps.append(state)
        body.send_keys(Keys.SPACE)


@pytest.mark.parametrize("deck", DECKS)
def test_each_slide_fits_1280x720_without_the_add_a_cell_bar(lab, browser, deck):
    base, token = lab
    steps = slides(browser, f"{base}/rise/notebooks/{deck}?token={token}")
    assert len(steps) >= 10, "the space key did not step through the deck"
    assert steps[-1]["last"], f"the space key stopped at {steps[-1]['key']}, before the end"
    assert [s["key"] for s in steps if s["bar"]] == []
    if deck.startswith("01"):
        assert any(s["svgs"] for s in steps), "no slide draws the ER diagram as an SVG"
    cut = [(s["key"], s["cut"][:2]) for s in steps if s["cut"]]
    assert cut == [], cut


def test_a_wrong_then_right_answer_typed_in_jupyterlab_is_judged_right(lab, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, token = lab
    name = "10-Indexes.ipynb"
    nb = read(editions.STUDENT / name)
    checks = [i for i, c in enumerate(nb.cells) if 'check("10.4")' in c.source]
    answer, check = checks[0] - 1, checks[0]
    browser.get(f"{base}/lab/tree/student/{name}?token={token}")
    wait_for(browser, "return document.querySelector('.jp-mod-idle, "
                      ".jp-Notebook-ExecutionIndicator[data-status=\"idle\"]') !== null", 90)
    cells = lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")  # noqa: E731
    keys = ActionChains(browser)

    def click(index, css):
        for _ in range(5):  # JupyterLab re-renders cells as they run: find the element anew
            try:
                return cells()[index].find_element(By.CSS_SELECTOR, css).click()
            except StaleElementReferenceException:
                time.sleep(0.5)
        raise AssertionError(f"cell {index} kept being re-rendered")

    wait_for(browser, "return document.querySelectorAll('.jp-Notebook .jp-Cell').length >= "
                      f"{len(nb.cells)}")
    time.sleep(2)  # the notebook's first render settles
    click(0, ".jp-Cell-inputWrapper")
    keys.send_keys(Keys.ESCAPE).perform()
    for _ in range(answer):  # run every cell above the answer, as a student would
        ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT)\
            .perform()
        time.sleep(0.05)

    def attempt(code, before=""):
        click(answer, ".cm-content")
        ActionChains(browser).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL)\
            .send_keys(Keys.DELETE).send_keys(code).key_down(Keys.SHIFT).send_keys(Keys.ENTER)\
            .send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
        return wait_for(browser, f"""
            const out = document.querySelectorAll('.jp-Notebook .jp-Cell')[{check}]
                .querySelector('.jp-OutputArea-output');
            const text = out ? out.innerText : '';
            return text.includes('10.4') && text !== {json.dumps(before)} ? text : null;""", 60)

    plan = ('workbook.query_plan(db, "SELECT id, rating FROM reviews WHERE course_id = ? '
            'ORDER BY created_at DESC", ("c-sql",))')
    wrong = attempt('db.execute("CREATE INDEX idx_reviews_course_created ON reviews '
                    f'(created_at)"); {plan}')
    assert "not yet" in wrong
    right = attempt('db.execute("CREATE INDEX idx_reviews_course_created ON reviews '
                    f'(course_id, created_at)"); {plan}', before=wrong)
    assert "right ✓" in right
