"""The studio in a real headless Chromium, served by waitress: what a user clicks, end to end."""

import shutil
from pathlib import Path

import pytest
from conftest import TIMGM, tone, write

pytestmark = pytest.mark.slow  # a real headless Chromium

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")


@pytest.fixture
def studio_url(t, tmp_path):
    from timbral.studio import create_app, serving

    with serving(create_app({"TIMBRAL": t, "INSTANCE": tmp_path / "instance"})) as url:
        yield url


@pytest.fixture(scope="module")
def big_studio_url(tiny_model, tmp_path_factory):
    """A library of every melodic GM program of TimGM6mb at five pitches: over 500 sounds, more than a picker lists."""
    from timbral.data.families import MELODIC_PROGRAMS
    from timbral.data.render import render_soundfonts
    from timbral.studio import create_app, serving

    library = tmp_path_factory.mktemp("big") / "data"
    render_soundfonts([TIMGM], library, programs=MELODIC_PROGRAMS, pitches="36:84:12", velocities="100", workers=2, progress=False)
    app = create_app({"MODEL": tiny_model, "LIBRARY": library, "INSTANCE": tmp_path_factory.mktemp("big-instance")})
    with serving(app) as url:
        yield url


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
    assert wait(b, "return timbral.view.points.length") == 15  # the map shows the library

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
    assert wait(b, "return timbral.view.points.filter(p => p.source === 'upload').length") == 1  # placed on the map
    assert b.find_element(By.ID, "upload-fit").is_selected()  # fitted by default

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
    errors = [e for e in b.get_log("browser") if e["level"] == "SEVERE"]
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

    from oneshots import KINDS
    from selenium.webdriver.common.by import By

    b = browser
    b.get(studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    b.find_element(By.CSS_SELECTOR, "[data-tab=yours]").click()
    files = [str(write(tmp_path / f"{kind}.wav", make())) for kind, (make, _) in sorted(KINDS.items())]
    b.find_element(By.ID, "upload-fit").click()  # unfitted, as a user in a hurry takes them: what is found is the point
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



def test_layout_picking_and_the_map_at_1280x720(browser, big_studio_url, tmp_path):
    """The bugs a sound designer met: a map that grew by itself, Use as Sound 1 failing past the first 400
    sounds, clicks outside the map playing a sound, a pad point dragged out of its triangle."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    b = browser
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False})
    b.get(big_studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    sounds, limit = b.execute_script("return [timbral.state.sounds.length, timbral.LIST_LIMIT]")
    assert sounds > 500 > limit  # a few renders are silent
    box = "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];"
    at_load = b.execute_script(box, "#map")
    b.execute_script("return new Promise(r => setTimeout(r, 3000))")
    assert b.execute_script(box, "#map") == at_load  # the map keeps its size (it grew every frame when it did not)

    for part in ("#map", "#picked", "#keyboard", "#legend"):  # all in view at 1280x720
        left, top, right, bottom = b.execute_script(box, part)
        assert 0 <= left < right <= 1280 and 0 <= top < bottom <= 720 and (right - left) * (bottom - top) > 1000, part
    assert at_load[2] - at_load[0] > 600 and at_load[3] - at_load[1] > 350  # and the map gets most of the screen
    shots = Path(__file__).parent.parent / "runs" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    b.save_screenshot(str(shots / "studio-1280x720.png"))

    # for every family: click one of its points on the map, then use it as Sound 1, Sound 2 and a pad corner
    families = b.execute_script("return [...new Set(timbral.state.sounds.map(s => s.family))]")
    assert len(families) >= 12
    canvas = b.find_element(By.ID, "map")
    for family in families:
        xy = b.execute_script("""const c = document.querySelector('#map');
            timbral.view.reset();
            for (const zoom of [1, 4, 16, 64]) {  // as a user would, zoom in on points that overlap at first
              for (const p of timbral.state.sounds.filter(s => s.family === arguments[0])) {
                if (zoom > 1) { timbral.view.zoom = zoom; timbral.view.cx = p.x; timbral.view.cy = p.y; timbral.view.draw(); }
                const [x, y] = timbral.view.toScreen(p.x, p.y);
                // a point that stays the nearest within 2 px: the click lands on whole pixels, inside the border
                const clear = [-2, 0, 2].every(dx => [-2, 0, 2].every(dy => timbral.view.nearest(x + dx, y + dy) === p));
                if (x > 5 && y > 5 && x < c.clientWidth - 5 && y < c.clientHeight - 5 && clear) return [x, y, p.id];
              }
            }""", family)
        assert xy, family
        ActionChains(b).move_to_element_with_offset(canvas, xy[0] - canvas.size["width"] / 2,
                                                    xy[1] - canvas.size["height"] / 2).click().perform()
        wait(b, "return timbral.state.picked && timbral.state.picked.id === arguments[0]".replace("arguments[0]", repr(xy[2])))
        for use, check in (("a", "timbral.pickA.value().id"), ("b", "timbral.pickB.value().id"),
                           ("corner", "timbral.cornerPickers.map(p => p.value().id)")):
            b.find_element(By.CSS_SELECTOR, f"[data-use={use}]").click()
            got = b.execute_script(f"return {check}")
            assert (xy[2] in got) if use == "corner" else (got == xy[2]), (family, use, got)

    # a click outside the map (left of its square) does nothing
    b.execute_script("timbral.view.reset()")
    before = b.find_element(By.ID, "current-name").text
    decodes = "return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/map/decode')).length"
    requests = b.execute_script(decodes)
    outside = b.execute_script("const c = document.querySelector('#map'); "
                               "return [timbral.view.toScreen(0, 0.5)[0] - 20, c.clientHeight / 2];")
    assert outside[0] > 2
    ActionChains(b).move_to_element_with_offset(canvas, outside[0] - canvas.size["width"] / 2, 0).click().perform()
    b.execute_script("return new Promise(r => setTimeout(r, 500))")
    assert b.find_element(By.ID, "current-name").text == before
    assert b.execute_script(decodes) == requests

    # the pad point stays inside its triangle, however far it is dragged
    b.find_element(By.CSS_SELECTOR, "[data-tab=mix]").click()
    pad = b.find_element(By.ID, "pad")
    ActionChains(b).move_to_element_with_offset(pad, 0, 0).click_and_hold().move_by_offset(-170, -170).release().perform()
    x, y = b.execute_script("return [timbral.padState.x, timbral.padState.y]")
    assert y <= 2 * x + 1e-9 and y <= 2 * (1 - x) + 1e-9 and 0 <= y <= 1
    assert not [e for e in b.get_log("browser") if e["level"] == "SEVERE"]  # no 404, favicon included


def fits(b, selector: str) -> dict:
    """Where an element lies against the window: overflow to the right, and its bottom against the window's height."""
    return b.execute_script("""const r = document.querySelector(arguments[0]).getBoundingClientRect();
        return {right: r.right, bottom: r.bottom, width: innerWidth, height: innerHeight,
                scroll: document.querySelector('main').scrollWidth - document.querySelector('main').clientWidth};""", selector)


@pytest.mark.parametrize("height", [720, 657])
def test_mix_fits_a_1280_window_and_starts_from_three_families(browser, big_studio_url, height):
    from selenium.webdriver.common.by import By

    b = browser
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False})
    b.get(big_studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    b.find_element(By.CSS_SELECTOR, "[data-tab=mix]").click()
    for shape in ("3", "4"):
        b.execute_script("const s = document.querySelector('#shape'); s.value = arguments[0]; s.dispatchEvent(new Event('change'))", shape)
        tab = fits(b, "#mix")
        assert tab["scroll"] <= 0 and tab["right"] <= tab["width"], tab  # no corner, no Random button, off-screen
        for part in ("#mix-weights", "#pad"):
            where = fits(b, part)
            assert where["bottom"] <= where["height"] - 60, (part, where)  # above the keyboard, never under a scrollbar
        buttons = b.execute_script("return [...document.querySelectorAll('#corners .rnd')].map(e => e.getBoundingClientRect().right)")
        assert len(buttons) == int(shape) and max(buttons) <= 1280
    b.execute_script("const s = document.querySelector('#shape'); s.value = '3'; s.dispatchEvent(new Event('change'))")
    families = b.execute_script("return timbral.cornerPickers.map(p => p.value().family)")
    assert len(set(families)) == 3, families
    assert "Weights: A" in b.find_element(By.ID, "mix-weights").text
    assert b.find_element(By.ID, "current-name").text == "nothing yet"  # setting up the pad plays nothing


def test_a_search_with_no_match_says_so_and_never_keeps_a_hidden_pick(browser, big_studio_url):
    from selenium.webdriver.common.by import By

    b = browser
    b.get(big_studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    b.find_element(By.CSS_SELECTOR, "[data-tab=blend]").click()
    search, pitch = (b.find_element(By.CSS_SELECTOR, f"#pick-a {s}") for s in ("input[type=search]", ".pitch"))
    search.send_keys("cello")
    pitch.send_keys("C#4")  # the library has cellos, but none at C#4
    wait(b, "return timbral.pickA.value() === null")
    assert "No sound matches" in b.execute_script("return document.querySelector('#pick-a .list').options[0].text")
    assert b.find_element(By.CSS_SELECTOR, "#pick-a .chosen").text.startswith("Nothing chosen")
    b.find_element(By.ID, "generate").click()
    wait(b, "return document.querySelector('#toast').textContent.includes('Choose Sound 1 and Sound 2')")
    assert not b.execute_script("return document.querySelector('#blend-result').children.length")
    pitch.clear()
    search.clear()
    search.send_keys("flute")
    wait(b, "return timbral.pickA.value() !== null && timbral.pickA.value().id.includes('flute')")  # its name or its id
    picked = b.execute_script("return timbral.pickA.value().name")
    assert b.find_element(By.CSS_SELECTOR, "#pick-a .chosen").text.startswith(f"Chosen: {picked}")
    b.execute_script("const s = document.querySelector('#pick-a input[type=search]'); s.value = 'organ';"
                     "s.dispatchEvent(new Event('input'))")  # as pasted: the flute is not among the organs
    wait(b, "return timbral.pickA.value().id.includes('organ')")
    assert f"{picked} is not among the matches" in b.find_element(By.CSS_SELECTOR, "#pick-a .chosen").text


def test_double_click_resets_the_map_and_picks_nothing_and_the_footer_stays_put(browser, big_studio_url):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    b = browser
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False})
    b.get(big_studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    canvas = b.find_element(By.ID, "map")
    map_box = "const r = document.querySelector('#map').getBoundingClientRect(); return [r.top, r.height];"
    footer = "return document.querySelector('footer').getBoundingClientRect().height"
    before_map, before_footer = b.execute_script(map_box), b.execute_script(footer)
    ActionChains(b).move_to_element(canvas).click().perform()  # one click: a dot or the space between
    wait(b, "return document.querySelector('#current-name').textContent !== 'nothing yet'")
    b.execute_script("timbral.setCurrent({label: 'x'.repeat(300)})")  # the longest name cannot wrap the footer
    assert b.execute_script(footer) == before_footer and b.execute_script(map_box) == before_map
    b.execute_script("timbral.view.zoom = 3; timbral.view.draw()")
    now = b.find_element(By.ID, "current-name").text
    decodes = "return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/map/decode')).length"
    requests = b.execute_script(decodes)
    ActionChains(b).move_to_element_with_offset(canvas, 37, 23).double_click().perform()
    b.execute_script("return new Promise(r => setTimeout(r, 800))")
    assert b.execute_script("return timbral.view.zoom") == 1  # reset
    assert b.execute_script(decodes) == requests and b.find_element(By.ID, "current-name").text == now


def test_an_upload_keeps_what_was_found_and_its_nearest_sounds(browser, studio_url, tmp_path):
    from selenium.webdriver.common.by import By

    b = browser
    b.get(studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    b.find_element(By.CSS_SELECTOR, "[data-tab=yours]").click()
    b.find_element(By.ID, "file").send_keys(str(write(tmp_path / "hum.wav", tone(220, 3))))
    wait(b, "return document.querySelectorAll('#your-list li[data-id]').length === 1")
    b.refresh()  # still there after a reload, not only in a toast
    wait(b, "return document.body.dataset.ready === 'yes'")
    b.find_element(By.CSS_SELECTOR, "[data-tab=yours]").click()
    remarks = b.find_element(By.CSS_SELECTOR, "#your-list .remarks").text
    assert remarks.startswith("Heard:") and "A3" in remarks and "fitted" in remarks
    links = b.find_elements(By.CSS_SELECTOR, "#your-list .nearest a")
    assert len(links) == 5
    links[0].click()
    assert b.execute_script("return timbral.state.picked.id") == links[0].get_attribute("data-id")


HOSTILE = {  # names a file or a user may bring: each must read as typed and run nothing
    "img": "<img src=x onerror=\"document.title='pwned';window.pwned=1\">",
    "script": "\"><script>window.pwned=1</script>",
    "url": "javascript:window.pwned=1//",
    "rtl": "שלום עולם · صوت",
    "long": "a very long name that goes on " * 6,
}
SHOWN = {k: v[:80].strip() for k, v in HOSTILE.items()}  # a name keeps its first 80 characters


def test_hostile_names_read_as_typed_and_run_nothing(browser, studio_url, tmp_path):
    """Names through upload, rename, the list, the map, Blend, Mix, Random and the exports: shown as text, never run;
    and the page's Content-Security-Policy stops an inline script even where one got into the page."""
    import io
    import urllib.request
    import xml.etree.ElementTree as ET
    import zipfile

    from selenium.webdriver.common.by import By

    b = browser
    b.get(studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    b.find_element(By.CSS_SELECTOR, "[data-tab=yours]").click()
    files = [write(tmp_path / f"{HOSTILE['img']}.wav", tone(220, 3))]
    files += [write(tmp_path / f"plain{i}_A3.wav", tone(220, 3)) for i in range(4)]
    b.find_element(By.ID, "upload-fit").click()  # unfitted: names are the point
    b.find_element(By.ID, "file").send_keys("\n".join(map(str, files)))
    wait(b, "return document.querySelectorAll('#your-list li[data-id]').length === 5", timeout=90)
    for i, key in enumerate(("script", "url", "rtl", "long")):  # renamed as a user types a name, then Enter
        b.execute_script("const input = [...document.querySelectorAll('#your-list .name')].find(n => n.value === arguments[0]);"
                         "input.value = arguments[1]; input.dispatchEvent(new Event('change'));", f"plain{i}_A3", HOSTILE[key])
        wait(b, "return timbral.state.sounds.some(s => s.name === arguments[0])".replace("arguments[0]", repr(SHOWN[key])))
    names = b.execute_script("return [...document.querySelectorAll('#your-list .name')].map(n => n.value)")
    assert sorted(names) == sorted(SHOWN.values())
    ids = b.execute_script("return Object.fromEntries(timbral.state.sounds.filter(s => s.source !== 'library').map(s => [s.name, s.id]))")

    # the map names what the pointer is on
    tip = b.execute_script("const p = timbral.view.points.find(p => p.id === arguments[0]);"
                           "timbral.view.onHover(p, {clientX: 20, clientY: 20}); return document.querySelector('#map-tip').textContent;",
                           ids[SHOWN["img"]])
    assert tip.startswith(SHOWN["img"])

    # Blend: the names in the pickers and on the originals' cards
    b.find_element(By.CSS_SELECTOR, "[data-tab=blend]").click()
    b.execute_script("timbral.pickA.set(arguments[0]); timbral.pickB.set(arguments[1])", ids[SHOWN["img"]], ids[SHOWN["script"]])
    b.find_element(By.ID, "steps").clear()
    b.find_element(By.ID, "steps").send_keys("3")
    b.find_element(By.ID, "generate").click()
    wait(b, "return document.querySelectorAll('#blend-result .steps .card').length === 3")
    titles = b.execute_script("return [...document.querySelectorAll('#blend-result .originals b')].map(t => t.textContent)")
    assert titles == [f"Sound 1: {SHOWN['img']}", f"Sound 2: {SHOWN['script']}"]
    assert SHOWN["img"] in b.find_element(By.CSS_SELECTOR, "#pick-a .chosen").text

    # Mix: every corner holds a hostile name
    b.find_element(By.CSS_SELECTOR, "[data-tab=mix]").click()
    b.execute_script("timbral.cornerPickers.forEach((p, i) => p.set(arguments[0][i]))", [ids[SHOWN[k]] for k in ("url", "rtl", "long")])
    chosen = b.execute_script("return timbral.cornerPickers.map(p => p.chosen.textContent)")
    assert chosen == [f"Chosen: {SHOWN[k]}" for k in ("url", "rtl", "long")]
    listed = b.execute_script("return [...document.querySelectorAll('#corners .list option')].map(o => o.text)")
    assert any(o.startswith(f"★ {SHOWN['url']} · yours") for o in listed)

    # Random: a sound kept under a hostile name
    b.find_element(By.CSS_SELECTOR, "[data-tab=random]").click()
    b.find_element(By.ID, "random-go").click()
    wait(b, "return document.querySelectorAll('#random-result .keep').length === 4")
    b.find_element(By.CSS_SELECTOR, "#random-result .keep").click()
    b.switch_to.alert.send_keys(HOSTILE["script"] + " kept")
    b.switch_to.alert.accept()
    wait(b, "return timbral.state.sounds.some(s => s.source === 'kept' && s.name === arguments[0])".replace(
        "arguments[0]", repr(SHOWN["script"] + " kept")))

    # the exports: an SFZ of a hostile-named sound, and a morph whose layers carry the names, as text in valid XML
    b.execute_script("timbral.setCurrent({label: arguments[0], sound: arguments[1]})", SHOWN["img"], ids[SHOWN["img"]])
    b.find_element(By.ID, "sfz").click()
    wait(b, "return document.querySelector('#toast').textContent.startsWith('SFZ instrument ready')", timeout=120)
    b.find_element(By.CSS_SELECTOR, "[data-tab=blend]").click()
    b.find_element(By.CSS_SELECTOR, "#blend-result .instrument").click()
    wait(b, "return document.querySelectorAll('#blend-result .instrument-files a').length === 3", timeout=120)
    url = b.execute_script("return [...document.querySelectorAll('#blend-result .instrument-files a')]"
                           ".find(a => a.download.endsWith('.dslibrary')).href")
    with zipfile.ZipFile(io.BytesIO(urllib.request.urlopen(url).read())) as z:
        preset = ET.fromstring(z.read(next(n for n in z.namelist() if n.endswith(".dspreset"))))
    groups = [g.get("name") for g in preset.iter("group")]
    assert groups[0] == SHOWN["img"] and groups[-1] == SHOWN["script"]

    assert b.execute_script("return window.pwned === undefined && document.title === 'Timbral studio'")
    # the policy itself: an event handler that somehow reached the page does not run
    b.execute_script("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.pwned=2\">')")
    b.execute_script("return new Promise(r => setTimeout(r, 500))")
    assert b.execute_script("return window.pwned === undefined")


def requests_to(b, path: str) -> int:
    return b.execute_script("return performance.getEntriesByType('resource').filter(e => e.name.includes(arguments[0])).length", path)


def test_the_set_up_stays_through_uploads_keeps_renames_deletes_and_reloads(browser, big_studio_url, tmp_path):
    """Sound 1, Sound 2 and the pad's corners, chosen far down a library longer than a picker lists, stay chosen
    whatever happens to the sounds, and nothing plays that the user did not ask for."""
    from selenium.webdriver.common.by import By

    b = browser
    b.get(big_studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    library = b.execute_script("return timbral.state.sounds.filter(s => s.source === 'library').map(s => s.id)")
    far = library[-1:-6:-1]  # past the first LIST_LIMIT of every list
    b.execute_script("timbral.pickA.set(arguments[0][0]); timbral.pickB.set(arguments[0][1]);"
                     "timbral.cornerPickers.forEach((p, i) => p.set(arguments[0][2 + i]))", far)
    setup = "return [timbral.pickA.value().id, timbral.pickB.value().id, ...timbral.cornerPickers.map(p => p.value().id)]"
    assert b.execute_script(setup) == far
    playing, mixes = b.find_element(By.ID, "current-name").text, requests_to(b, "/api/mix")

    b.find_element(By.CSS_SELECTOR, "[data-tab=yours]").click()
    b.find_element(By.ID, "file").send_keys(str(write(tmp_path / "mine_A3.wav", tone(220, 3))))
    wait(b, "return document.querySelectorAll('#your-list li[data-id]').length === 1")
    assert b.execute_script(setup) == far
    mine = b.execute_script("return document.querySelector('#your-list li[data-id]').dataset.id")
    b.execute_script("const n = document.querySelector('#your-list .name'); n.value = 'renamed'; n.dispatchEvent(new Event('change'))")
    wait(b, "return timbral.state.sounds.some(s => s.name === 'renamed')")
    assert b.execute_script(setup) == far
    b.find_element(By.CSS_SELECTOR, "[data-tab=random]").click()
    b.find_element(By.ID, "random-go").click()
    wait(b, "return document.querySelectorAll('#random-result .keep').length === 4")
    b.find_element(By.CSS_SELECTOR, "#random-result .keep").click()
    b.switch_to.alert.accept()
    wait(b, "return timbral.state.sounds.some(s => s.source === 'kept')")
    assert b.execute_script(setup) == far
    playing = b.find_element(By.ID, "current-name").text  # random 1 plays: asked for by Generate

    b.execute_script("timbral.pickB.set(arguments[0])", mine)  # Sound 2 is the upload, which is then deleted
    b.find_element(By.CSS_SELECTOR, "[data-tab=yours]").click()
    b.execute_script("window.confirm = () => true")
    b.find_element(By.CSS_SELECTOR, f"#your-list li[data-id='{mine}'] .del").click()
    wait(b, "return !timbral.state.sounds.some(s => s.name === 'renamed')")
    assert "renamed was deleted" in b.execute_script("return timbral.pickB.chosen.textContent")
    assert b.execute_script(setup)[0] == far[0] and b.execute_script(setup)[2:] == far[2:]
    assert b.find_element(By.ID, "current-name").text == playing and requests_to(b, "/api/mix") == mixes  # nothing played by itself

    b.execute_script("timbral.pickB.set(arguments[0])", far[1])
    b.refresh()  # a reload starts where the user left off
    wait(b, "return document.body.dataset.ready === 'yes'")
    assert b.execute_script(setup) == far
    assert b.find_element(By.ID, "current-name").text == "nothing yet"
    assert b.execute_script("return [...timbral.view.marked.values()].map(m => m.id)") == far[:2]  # one marker each


def test_auditioning_keys_markers_search_now_playing_errors_and_uploads(browser, studio_url, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    b = browser
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False})
    b.get(studio_url)
    wait(b, "return document.body.dataset.ready === 'yes'")
    ids = b.execute_script("return timbral.state.sounds.map(s => s.id)")

    # the computer keys play after a click on "As recorded" (a checkbox, not a text field)
    b.execute_script("timbral.setCurrent({label: 'a library sound', sound: arguments[0]})", ids[0])
    b.find_element(By.ID, "recorded").click()
    plays = requests_to(b, "/api/play")
    ActionChains(b).send_keys("a").perform()
    wait(b, f"return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/play')).length > {plays}")

    # one marker per role, moved when the choice moves, each with its own label
    b.execute_script("timbral.pickA.set(arguments[0]); timbral.pickB.set(arguments[1]); timbral.pickB.set(arguments[2])", *ids[:3])
    assert b.execute_script("return Object.fromEntries(timbral.view.labels())") == {ids[0]: "Sound 1", ids[2]: "Sound 2"}

    # a search that matches nothing says so
    b.find_element(By.ID, "map-search").send_keys("zzzz")
    assert b.find_element(By.ID, "map-count").text.startswith("No sound matches “zzzz”")
    b.find_element(By.ID, "map-search").clear()
    b.find_element(By.ID, "map-search").send_keys("060")
    assert b.find_element(By.ID, "map-count").text.startswith("5 sounds match")

    # "Now playing" keeps room for a long name at 1280 px
    b.execute_script("timbral.setCurrent({label: 'Acoustic Grand Piano C4 · loud · FluidR3_GM ' + 'x'.repeat(200)})")
    assert b.execute_script("return document.querySelector('#current-name').getBoundingClientRect().width") > 300

    # an error is cleared by the next thing that works
    b.find_element(By.CSS_SELECTOR, "[data-tab=blend]").click()
    b.find_element(By.ID, "blend-pitch").send_keys("H2")
    b.find_element(By.ID, "generate").click()
    wait(b, "return document.querySelector('#toast').className === 'error' && document.querySelector('#toast').style.display === 'block'")
    b.find_element(By.ID, "blend-pitch").clear()
    b.find_element(By.ID, "generate").click()
    wait(b, "return document.querySelectorAll('#blend-result .steps .card').length > 0")
    assert not b.find_element(By.ID, "toast").is_displayed()

    # a new upload is scrolled into view at the bottom of a long list
    b.find_element(By.CSS_SELECTOR, "[data-tab=yours]").click()
    b.find_element(By.ID, "upload-fit").click()  # unfitted: where a new upload shows is the point
    b.find_element(By.ID, "file").send_keys("\n".join(str(write(tmp_path / f"n{i}_A3.wav", tone(220, 2))) for i in range(10)))
    wait(b, "return document.querySelectorAll('#your-list li[data-id]').length === 10", timeout=120)
    b.execute_script("document.querySelector('main').scrollTop = 0")
    b.find_element(By.ID, "file").send_keys(str(write(tmp_path / "last_A3.wav", tone(220, 2))))
    wait(b, "return document.querySelectorAll('#your-list li[data-id]').length === 11")
    wait(b, "const r = document.querySelector('#your-list li.new').getBoundingClientRect(),"
            "m = document.querySelector('main').getBoundingClientRect(); return r.top >= m.top && r.bottom <= m.bottom")
