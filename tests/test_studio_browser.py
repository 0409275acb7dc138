"""Practice Studio end to end in a real headless Chromium (Debian's chromium and chromium-driver).

The studio runs as `practice studio` would; Selenium drives the page as a person would, with no
YAML typed except for the one misspelt step; every sound is checked with ffprobe.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.real

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = os.environ.get("PRACTICE_STUDIO_SHOTS")
"""A folder to keep screenshots of the main screens in (docs/studio.md's pictures)."""


def _need(tool: Path | str | None, what: str) -> None:
    """Fail in CI, skip elsewhere, when a browser-test tool is missing."""
    if tool is not None and Path(tool).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing; .ci/run installs chromium, chromium-driver and ffmpeg")
    pytest.skip(f"{what} is missing (apt-get install chromium chromium-driver ffmpeg)")


def ffprobe(path: Path) -> dict[str, Any]:
    """Format and streams as ffprobe reads them: an independent decoder."""
    done = subprocess.run(["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


@pytest.fixture
def studio_process(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    """`practice studio --no-browser` on a fresh workspace: its printed URL, the folder, the process."""
    folder = tmp_path / "workspace"
    folder.mkdir()
    process = subprocess.Popen([sys.executable, "-m", "player", "studio", "--no-browser", str(folder)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"Practice Studio: (http://127\.0\.0\.1:\d+/\?token=[\w-]+)\n", line)
        assert match, f"unexpected first line {line!r}"
        yield match.group(1), folder, process
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
def studio(studio_process: tuple[str, Path, subprocess.Popen[str]]) -> tuple[str, Path]:
    """The studio's URL and workspace folder."""
    return studio_process[0], studio_process[1]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, downloading into tmp_path/downloads."""
    _need(CHROMIUM, "chromium")
    _need(CHROMEDRIVER, "chromium-driver")
    _need(shutil.which("ffprobe"), "ffprobe")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
                 # A fake microphone (a beeping tone) that needs no permission prompt.
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(condition: Any, what: str, seconds: float = 120.0) -> Any:
    """Poll until `condition()` is truthy; fail saying what never happened."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # the page is mid-update: look again
            value = None
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def shot(driver: Any, name: str) -> None:
    """Keep a screenshot when PRACTICE_STUDIO_SHOTS names a folder."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def test_the_studio_answers_only_with_its_token_on_loopback(
        studio_process: tuple[str, Path, subprocess.Popen[str]]) -> None:
    url, _folder, process = studio_process
    with urllib.request.urlopen(url) as answer:
        assert answer.status == 200
    bare = url.split("?")[0] + "api/library"
    for request in (urllib.request.Request(bare),
                    urllib.request.Request(url, headers={"Host": "evil.example"})):
        with pytest.raises(urllib.request.HTTPError) as refused:
            urllib.request.urlopen(request)
        assert refused.value.code in (400, 403)
    port = int(url.split(":")[2].split("/")[0])
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True).stdout
    if listening:  # iproute2 is there: the only listener is on 127.0.0.1
        assert [line.split()[3] for line in listening.splitlines()] == [f"127.0.0.1:{port}"]
    process.send_signal(signal.SIGINT)  # Ctrl-C
    _out, errors = process.communicate(timeout=20)
    assert process.returncode in (0, 130)
    assert "Traceback" not in errors and "Error" not in errors


def steps_shown(driver: Any) -> list[Any]:
    """The top-level steps in the step list."""
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, "#steps > li > .step"))


def build_three_steps(driver: Any) -> None:
    """A new practice from the blank template, cut down and rebuilt to three steps with the forms."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.find_element(By.ID, "new-title").send_keys("For Sam")
    driver.find_element(By.CSS_SELECTOR, "#new-form button[type=submit]").click()
    wait_for(lambda: driver.find_element(By.ID, "script-name").text == "for-sam.yaml", "the new script to open")
    wait_for(lambda: steps_shown(driver), "the template's steps")
    shot(driver, "studio-steps")
    while steps_shown(driver):
        count = len(steps_shown(driver))
        driver.find_element(By.ID, "step-0-remove").click()
        wait_for(lambda count=count: len(steps_shown(driver)) == count - 1, "a step to go")
    for kind in ("chapter", "say", "pause"):
        count = len(steps_shown(driver))
        Select(driver.find_element(By.ID, "add-kind")).select_by_value(kind)
        driver.find_element(By.ID, "add-step").click()
        wait_for(lambda count=count: len(steps_shown(driver)) == count + 1, f"the {kind} step")
    title = driver.find_element(By.ID, "step-0-title")
    title.clear()
    title.send_keys("Arriving")
    driver.find_element(By.ID, "step-1-text").send_keys("Welcome. Notice your feet on the floor.")
    seconds = driver.find_element(By.ID, "step-2-seconds")
    seconds.clear()
    seconds.send_keys("2")
    yaml_has = "Welcome. Notice your feet on the floor."
    wait_for(lambda: yaml_has in driver.find_element(By.ID, "yaml-text").get_property("value")
             and "seconds: 2" not in driver.find_element(By.ID, "yaml-text").get_property("value")
             and "pause: 2" in driver.find_element(By.ID, "yaml-text").get_property("value"),
             "the step list's edits in the YAML")
    wait_for(lambda: "No problems" in driver.find_element(By.ID, "problems").text, "a clean check")
    driver.find_element(By.ID, "save-button").click()
    wait_for(lambda: "Saved" in driver.find_element(By.ID, "status").text, "the save")


def misspell_a_step(driver: Any) -> None:
    """Type a misspelt step in the YAML view: it is flagged at its line and column, and at its step."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.find_element(By.ID, "tab-yaml").click()
    area = driver.find_element(By.ID, "yaml-text")
    area.click()
    area.send_keys(Keys.CONTROL, Keys.END)
    area.send_keys("  - sya: Hello again\n")
    line = area.get_property("value").rstrip("\n").count("\n") + 1
    expected = f"Line {line}, column 5: unknown step 'sya' (did you mean 'say'?)"
    wait_for(lambda: expected in driver.find_element(By.ID, "problems").text, f"'{expected}'")
    marked = driver.find_elements(By.CSS_SELECTOR, "#yaml-gutter .bad")
    assert [m.get_attribute("data-line") for m in marked] == [str(line)]  # marked beside its line
    shot(driver, "studio-yaml")
    driver.find_element(By.ID, "tab-steps").click()
    flagged = driver.find_element(By.ID, "step-3")
    assert "has-problem" in flagged.get_attribute("class")
    assert expected in flagged.text
    driver.find_element(By.ID, "step-3-remove").click()
    wait_for(lambda: "No problems" in driver.find_element(By.ID, "problems").text, "the check after removing it")


def test_build_hear_and_export_a_practice_in_the_browser(studio: tuple[str, Path], browser: Any,
                                                         tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from player.render.mixer import Mixer
    from player.script.loader import load_script
    from player.studio.render import default_speaker
    from player.timeline.compile import compile_timeline

    url, folder = studio
    browser.get(url)
    wait_for(lambda: "Ready" in browser.find_element(By.ID, "status").text, "the page to start")
    shot(browser, "studio-library")
    build_three_steps(browser)
    misspell_a_step(browser)

    browser.find_element(By.ID, "step-1-listen").click()
    source = wait_for(lambda: browser.execute_script(
        "const a = document.getElementById('player'); return a.readyState >= 1 && a.duration > 0 && a.src"),
        "the line in the audio element")
    played = tmp_path / "line.wav"
    request = urllib.request.Request(source, headers={"x-studio-token": url.split("token=")[1]})
    with urllib.request.urlopen(request) as answer:
        played.write_bytes(answer.read())
    script = load_script(folder / "for-sam.yaml")
    line = compile_timeline(script, default_speaker(script), steps=[script.steps[1]], ending=False)  # cached
    probed = float(ffprobe(played)["format"]["duration"])
    assert probed == pytest.approx(Mixer(line).length / line.sample_rate, abs=0.002)
    in_page = browser.execute_script("return document.getElementById('player').duration")
    assert in_page == pytest.approx(probed, abs=0.01)  # Chromium decoded the same length

    Select(browser.find_element(By.ID, "export-format")).select_by_value("mp3")
    browser.find_element(By.ID, "export-button").click()
    link = wait_for(lambda: browser.find_element(By.ID, "download").is_displayed()
                    and browser.find_element(By.ID, "download"), "the download link")
    assert browser.find_element(By.ID, "export-progress").get_property("value") == 1
    shot(browser, "studio-export")
    link.click()
    downloaded = tmp_path / "downloads" / "for-sam.mp3"
    wait_for(downloaded.exists, "the downloaded MP3")
    info = ffprobe(downloaded)
    assert info["streams"][0]["codec_name"] == "mp3"
    session = compile_timeline(script, default_speaker(script))
    assert float(info["format"]["duration"]) == pytest.approx(session.seconds, abs=0.06)
    assert info["format"]["tags"]["title"] == "For Sam"

    browser.find_element(By.ID, "play-session").click()  # the whole session, as the export renders it
    chapter = wait_for(lambda: browser.find_element(By.CSS_SELECTOR, "#chapters button"), "the chapter marks")
    assert chapter.text.startswith("Arriving (0:00)")
    wait_for(lambda: browser.execute_script("const a = document.getElementById('player'); "
                                            "return a.src.endsWith('/file') && a.readyState >= 1"), "the session")
    in_page = browser.execute_script("return document.getElementById('player').duration")
    assert in_page == pytest.approx(float(info["format"]["duration"]), abs=0.06)
    assert browser.execute_script("return document.getElementById('pacing').naturalWidth") > 0


def test_record_a_line_and_use_an_audio_file(studio: tuple[str, Path], browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    url, folder = studio
    browser.get(url)
    wait_for(lambda: "Ready" in browser.find_element(By.ID, "status").text, "the page to start")
    browser.find_element(By.ID, "new-title").send_keys("Own voice")
    browser.find_element(By.CSS_SELECTOR, "#new-form button[type=submit]").click()
    wait_for(lambda: browser.find_element(By.ID, "step-2-record"), "the say step")
    browser.find_element(By.ID, "step-2-record").click()
    wait_for(lambda: browser.find_element(By.ID, "step-2-record").text == "Stop recording", "the recording")
    time.sleep(2)
    browser.find_element(By.ID, "step-2-record").click()

    def yaml() -> str:
        return str(browser.find_element(By.ID, "yaml-text").get_property("value"))

    wait_for(lambda: "- play: clips/own-voice-step-3.wav" in yaml(), "the step to play the recording")
    recorded = ffprobe(folder / "clips" / "own-voice-step-3.wav")
    assert recorded["streams"][0]["codec_name"] == "pcm_s16le"
    assert 1.0 < float(recorded["format"]["duration"]) < 4.0

    tone = tmp_path / "tone.ogg"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1.5", str(tone)],
                   check=True)
    browser.find_element(By.ID, "step-5-file").send_keys(str(tone))  # the keyboard's way to "drop" a file
    wait_for(lambda: "- play: clips/own-voice-step-6.wav" in yaml(), "the step to play the chosen file")
    kept = ffprobe(folder / "clips" / "own-voice-step-6.wav")
    assert float(kept["format"]["duration"]) == pytest.approx(1.5, abs=0.01)
    wait_for(lambda: "No problems" in browser.find_element(By.ID, "problems").text, "a clean check")


def test_the_keyboard_alone_builds_a_practice(studio: tuple[str, Path], browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, _folder = studio
    browser.get(url)
    wait_for(lambda: "Ready" in browser.find_element(By.ID, "status").text, "the page to start")
    browser.find_element(By.ID, "new-title").send_keys("Keys only", Keys.ENTER)  # Enter submits the form

    def focused() -> str:
        return str(browser.switch_to.active_element.get_attribute("id"))

    wait_for(lambda: focused() == "step-0-kind", "focus on the first step")
    count = len(steps_shown(browser))
    active = browser.switch_to.active_element
    active.send_keys(Keys.TAB)  # Listen
    browser.switch_to.active_element.send_keys(Keys.TAB)  # Move down (Move up is disabled on the first step)
    assert focused() == "step-0-down"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert focused() == "step-0-remove"
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait_for(lambda: len(steps_shown(browser)) == count - 1 and focused() == "add-kind",
             "the removal, with focus on New step")
    browser.switch_to.active_element.send_keys("p")  # the first kind starting with p: pause
    browser.switch_to.active_element.send_keys(Keys.TAB, Keys.ENTER)  # Add step
    wait_for(lambda: len(steps_shown(browser)) == count and focused() == f"step-{count - 1}-kind",
             "the new step, with focus on it")
    assert browser.find_element(By.ID, f"step-{count - 1}-kind").get_property("value") == "pause"
