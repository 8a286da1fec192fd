"""The page in a real browser: Debian's chromium, headless, driven by Selenium.

Starts `coalition-sim viz` (the real Solara server), then loads the page, steps a
replication, moves a slider and runs batches, types a bad value, saves a what-if and takes
a screenshot. Prints (does not assert) one step's and a 500-replication batch's time.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the viz extra is not installed (pip install -e '.[viz]')")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from sim.scenario.loader import load_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BROWSER = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# What Solara's page loads from its CDN; fetched with npm into Solara's cache on machines
# that cannot reach the CDN (as here), so that the test needs no internet.
CDN_PACKAGES = ["@widgetti/solara-vuetify-app@10.1.1", "requirejs@2.3.6", "font-awesome@4.5.0",
                "@widgetti/vue-grid-layout@2.3.13-alpha.2",
                "katex@0.16.9"]  # fmt: skip


def _browser_or_skip():
    if not (os.path.exists(BROWSER) and os.path.exists(DRIVER)):
        msg = f"no browser: {BROWSER} or {DRIVER} missing (apt-get install -y chromium chromium-driver)"
        print(msg)
        pytest.skip(msg)


def _assets() -> None:
    """Solara's CDN files in its cache: from the CDN if reachable, else via `npm pack`."""
    from solara.server import settings

    cache = Path(settings.assets.proxy_cache_dir)
    missing = [p for p in CDN_PACKAGES if not (cache / p / "package.json").exists()]
    if not missing:
        return
    try:
        urllib.request.urlopen("https://cdn.jsdelivr.net/npm/requirejs@2.3.6/require.js", timeout=3)
        return  # Solara's proxy fetches them itself
    except OSError:
        pass
    if not shutil.which("npm"):
        pytest.fail("Solara's CDN is unreachable and npm is missing to fetch its files")
    for package in missing:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", "--silent", package], cwd=tmp, check=True,
                           capture_output=True, timeout=180)  # fmt: skip
            (tgz,) = Path(tmp).glob("*.tgz")
            target = cache / package
            target.mkdir(parents=True, exist_ok=True)
            with tarfile.open(tgz) as tar:
                for member in tar.getmembers():
                    member.name = member.name.split("/", 1)[-1]  # package/dist/x -> dist/x
                tar.extractall(target, filter="data")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    _browser_or_skip()
    _assets()
    port = _free_port()
    log = tmp_path_factory.mktemp("viz") / "server.log"
    exe = Path(sys.executable).with_name("coalition-sim")
    with open(log, "w") as out:
        server = subprocess.Popen([str(exe), "viz", "scenarios/nato-2024.yaml", "--port", str(port),
                                   "--host", "127.0.0.1", "--no-open"], cwd=ROOT, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1600,1100"):  # fmt: skip
        options.add_argument(flag)
    options.add_argument("--user-data-dir=" + str(tmp_path_factory.mktemp("chromium")))
    driver = None
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.25)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        driver.get(url)
        yield driver
    finally:
        print("server log (tail):\n" + log.read_text()[-3000:])  # shown when the test fails
        if driver is not None:
            driver.quit()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def _wait(driver, what, timeout=90):
    # Solara replaces elements as it redraws: an element gone stale is looked up again. 90 s:
    # a batch on the page can take tens of seconds on a loaded 2-core machine (seen to fail at 30).
    wait = WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException,))  # fmt: skip
    return wait.until(lambda d: what(d))


def _click(driver, text):
    driver.execute_script("arguments[0].click()", _button(driver, text))


def _button(driver, text):
    for b in driver.find_elements(By.TAG_NAME, "button"):
        if b.text.strip().lower() == text.lower():
            return b
    raise AssertionError(f"no button {text!r}")


def _timed_click(driver, button, changed_js: str) -> float:
    """Click in the page and return the ms until `changed_js` (a JS expression) holds."""
    return driver.execute_async_script(
        """const [button, done] = [arguments[0], arguments[arguments.length - 1]];
        const changed = new Function('return ' + arguments[1]);
        const t0 = performance.now(); button.click();
        (function poll() { if (changed()) done(performance.now() - t0); else setTimeout(poll, 5); })();""",
        button, changed_js,
    )  # fmt: skip


def _probability(driver, outcome) -> float:
    cells = driver.find_elements(By.CSS_SELECTOR, "#probabilities tr")
    for row in cells[1:]:
        tds = row.find_elements(By.TAG_NAME, "td")
        if tds[0].text == outcome:
            return float(tds[1].get_attribute("data-p"))
    raise AssertionError(f"no row for {outcome}")


def _input(driver, label: str):
    for field in driver.find_elements(By.CSS_SELECTOR, ".v-text-field"):
        if (
            field.find_elements(By.TAG_NAME, "label")
            and field.find_element(By.TAG_NAME, "label").text == label
        ):
            return field.find_element(By.TAG_NAME, "input")
    raise AssertionError(f"no field {label!r}")


def _slider(driver, label: str):
    for field in driver.find_elements(By.CSS_SELECTOR, ".v-input.v-slider, .v-input__slider"):
        if (
            field.find_elements(By.TAG_NAME, "label")
            and field.find_element(By.TAG_NAME, "label").text == label
        ):
            return field.find_element(By.CSS_SELECTOR, "[role=slider]")
    raise AssertionError(f"no slider {label!r}")


def _type(driver, label, text):
    # Solara may redraw the field while keys arrive (seen under load: only "p" of
    # "parameters.noise=-3" reached the page): type, read the value back, and type again into
    # the field as it is now until the whole text is there.
    for _ in range(5):
        element = _input(driver, label)
        try:
            element.send_keys(Keys.CONTROL, "a")
            element.send_keys(Keys.DELETE)
            element.send_keys(text)
            if element.get_attribute("value") == text:
                element.send_keys(Keys.ENTER)
                element.send_keys(Keys.TAB)
                return
        except StaleElementReferenceException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"could not type {text!r} into {label!r}")


GRID_TEXT = "return document.querySelector('#stance-grid')?.innerText"
GRID_HTML = "return document.querySelector('#stance-grid')?.innerHTML"


def test_page_in_a_real_browser(page, tmp_path):
    # The first load fetches Solara's front end; slow on a busy machine.
    # Read in the browser in one go: Solara may replace the element between two WebDriver calls.
    _wait(page, lambda d: "AL" in (d.execute_script(GRID_TEXT) or ""), timeout=120)
    assert page.find_elements(By.CSS_SELECTOR, ".settings-ok")
    _wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".supporters-plot img"))
    before = page.execute_script(GRID_HTML)

    # Stepping changes the stance grid (a round more, and stances moved).
    ms = _timed_click(page, _button(page, "step"),
                      "document.querySelector('#stance-grid')?.dataset.round === '1'")  # fmt: skip
    after = page.execute_script(GRID_HTML)
    assert after != before and 'data-s="rutte"' in after
    steps = [ms]
    for k in (2, 3):  # more steps while the replication is open (Mesa disables Step after)
        if not _button(page, "step").is_enabled():
            break
        steps.append(_timed_click(page, _button(page, "step"),
                                  f"document.querySelector('#stance-grid')?.dataset.round === '{k}'"))  # fmt: skip
    print(f"\none step, click to redrawn grid: {', '.join(f'{s:.0f}' for s in steps)} ms")

    # A batch of 500 (the default), then the grievance weight at its maximum: probabilities move.
    seconds = _timed_click(page, _button(page, "run batch"),
                           "document.querySelector('#probabilities') !== null") / 1000  # fmt: skip
    print(f"500-replication batch, click to probabilities shown: {seconds:.2f} s")
    first = _probability(page, "rutte")
    _slider(page, "w_griev").send_keys(Keys.END)
    _click(page, "reset")  # Mesa applies model parameters on Reset
    _wait(page, lambda d: "w_griev=10" in d.find_element(By.CSS_SELECTOR, ".settings-ok").text)
    assert not page.find_elements(By.ID, "probabilities")  # the old batch is not shown as new
    _click(page, "run batch")
    _wait(page, lambda d: d.find_elements(By.ID, "probabilities"))
    assert _probability(page, "rutte") != first

    # Save as what-if: the file validates and resolves to the page's scenario.
    target = tmp_path / "what-if" / "griev-max.yaml"
    _type(page, "what-if file", str(target))
    _click(page, "save as what-if")
    _wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".what-if-saved"))
    assert "valid" in page.find_element(By.CSS_SELECTOR, ".what-if-saved").text
    saved = load_scenario(target)
    assert saved.parameters.w_griev == 10
    assert saved.batch.replications == 500 and saved.batch.seed == 1
    # Saving again over it is refused until "replace it if it exists" is ticked.
    before = target.read_bytes()
    _click(page, "save as what-if")
    _wait(page, lambda d: "exists" in d.find_element(By.CSS_SELECTOR, ".what-if-saved").text)
    assert target.read_bytes() == before
    tick = page.find_element(By.CSS_SELECTOR, ".replace-what-if input")
    page.execute_script("arguments[0].click()", tick)
    _click(page, "save as what-if")
    _wait(page, lambda d: "valid" in d.find_element(By.CSS_SELECTOR, ".what-if-saved").text)

    # A bad value typed into a field: the CLI's one-line message, and the page goes on.
    _type(page, "more --set key=value (; between)", "parameters.noise=-3")
    _click(page, "reset")
    problems = _wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".settings-problems"))[0]
    assert "parameters.noise: Input should be greater than or equal to 0 (got -3)" in problems.text
    _click(page, "step")
    _wait(page, lambda d: d.find_element(By.ID, "stance-grid").get_attribute("data-round") == "1")

    page.save_screenshot(str(tmp_path / "page.png"))
    assert (tmp_path / "page.png").stat().st_size > 10_000
