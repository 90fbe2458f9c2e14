"""The studio in a real headless Chromium, served by waitress: what a user clicks, end to end."""

import shutil
import socket
import threading
from pathlib import Path

import pytest
from conftest import tone, write

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")


@pytest.fixture
def studio_url(tiny_model, tiny_library, tmp_path):
    from waitress.server import create_server

    from timbral.studio import create_app

    app = create_app({"MODEL": tiny_model, "LIBRARY": tiny_library, "INSTANCE": tmp_path / "instance"})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/"
    server.close()


@pytest.fixture
def browser():
    if not (CHROMIUM and DRIVER):
        pytest.fail("chromium and chromium-driver are missing: run scripts/setup --test")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def wait(driver, condition, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(condition))


def test_a_user_session(browser, studio_url, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    b = browser
    b.get(studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    assert wait(b, "return view.points.length") == 15  # the map shows the library

    b.find_element(By.CSS_SELECTOR, "[data-tab=random]").click()
    b.find_element(By.ID, "random-go").click()
    assert wait(b, "return document.querySelectorAll('#random-result audio').length") == 4
    src = b.execute_script("return document.querySelector('#random-result audio').src")
    assert b.execute_script("return fetch(arguments[0]).then(r => r.headers.get('content-type'))", src) == "audio/wav"

    b.find_element(By.CSS_SELECTOR, "[data-tab=blend]").click()
    b.find_element(By.ID, "steps").clear()
    b.find_element(By.ID, "steps").send_keys("5")
    b.find_element(By.ID, "generate").click()
    assert wait(b, "return document.querySelectorAll('#blend-result .steps .card').length") == 5
    assert wait(b, "return [...document.querySelectorAll('#blend-result img')].every(i => i.complete && i.naturalWidth > 0)")
    assert b.find_element(By.PARTIAL_LINK_TEXT, "ZIP").get_attribute("href").endswith(".zip")

    b.find_element(By.CSS_SELECTOR, "[data-tab=yours]").click()
    b.find_element(By.ID, "file").send_keys(str(write(tmp_path / "my voice_A3.wav", tone(220, 3))))
    wait(b, "return document.querySelectorAll('#your-list li[data-id]').length === 1")
    assert b.execute_script("return document.querySelector('#your-list input').value") == "my voice_A3"
    assert wait(b, "return view.points.filter(p => p.source === 'upload').length") == 1  # placed on the map

    b.find_element(By.CSS_SELECTOR, "[data-tab=mix]").click()
    pad = b.find_element(By.ID, "pad")
    ActionChains(b).move_to_element_with_offset(pad, -100, 100).click_and_hold().move_by_offset(120, -150).pause(0.3) \
        .move_by_offset(60, 20).release().perform()
    wait(b, "return document.querySelector('#mix-weights').textContent.startsWith('Weights')")
    assert "mix" in b.find_element(By.ID, "current-name").text

    b.find_element(By.CSS_SELECTOR, "[data-tab=explore]").click()
    wait(b, "return document.querySelector('#map').clientWidth > 0")
    b.find_element(By.ID, "map").click()  # the centre of the map: a point or the space between
    wait(b, "return document.querySelector('#current-name').textContent !== ''")
    assert not b.find_element(By.ID, "toast").is_displayed() or "error" not in b.find_element(By.ID, "toast").get_attribute("class")
    errors = [e for e in b.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert not errors, errors
    shot = Path(tmp_path / "studio.png")
    b.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000
    out = Path(__file__).parent.parent / "runs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, out / "studio.png")


def test_unpitched_upload_and_note_names_on_the_page(browser, studio_url, tmp_path):
    """Twelve kinds of one-shot chosen at once are all taken; the cymbal and snare are flagged unpitched;
    a pitch is set by note name; pitch fields take note names."""
    import json
    import urllib.request

    from selenium.webdriver.common.by import By
    from oneshots import KINDS

    b = browser
    b.get(studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    b.find_element(By.CSS_SELECTOR, "[data-tab=yours]").click()
    files = [str(write(tmp_path / f"{kind}.wav", make())) for kind, (make, _) in sorted(KINDS.items())]
    b.find_element(By.ID, "file").send_keys("\n".join(files))
    wait(b, "return document.querySelectorAll('#your-list li[data-id]').length === 12", timeout=90)
    badges = b.execute_script("return [...document.querySelectorAll('#your-list li')]"
                              ".filter(li => li.querySelector('.badge')).map(li => li.querySelector('.name').value)")
    assert sorted(badges) == ["cymbal", "snare"]
    cymbal = "[...document.querySelectorAll('#your-list li')].find(li => li.querySelector('.name').value === 'cymbal')"
    assert b.execute_script(f"return {cymbal}.querySelector('input.pitch').value") == "C4"
    b.execute_script(f"const p = {cymbal}.querySelector('input.pitch');"
                     "p.value = 'D3'; p.dispatchEvent(new Event('change'));")  # as typed, then Enter
    wait(b, f"return !{cymbal}.querySelector('.badge')")
    sound_id = b.execute_script(f"return {cymbal}.dataset.id")
    entry = json.load(urllib.request.urlopen(f"{studio_url}api/sounds/{sound_id}"))
    assert (entry["pitch"], entry["pitched"], entry["note"]) == (50, True, "D3")

    b.find_element(By.CSS_SELECTOR, "[data-tab=blend]").click()
    b.find_element(By.ID, "blend-pitch").send_keys("F#3")
    b.find_element(By.ID, "steps").clear()
    b.find_element(By.ID, "steps").send_keys("3")
    b.find_element(By.ID, "generate").click()
    wait(b, "return document.querySelectorAll('#blend-result .steps .card').length === 3")
    assert "at F#3" in b.find_element(By.CSS_SELECTOR, "#blend-result h3").text
    b.find_element(By.ID, "blend-pitch").clear()
    b.find_element(By.ID, "blend-pitch").send_keys("H2")
    b.find_element(By.ID, "generate").click()
    wait(b, "return document.querySelector('#toast').textContent.includes('note name like C4')")
