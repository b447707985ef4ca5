"""The /track page in a real browser: headless Chromium (Debian's package, installed by .ci/run)
driven through chromedriver fills the form as a citizen would, reads the result, and can be
reached by keyboard alone. Its screenshot is left in the test's temporary folder (printed)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.liveserver import live_server

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI must install chromium and chromium-driver (.ci/run does)")
    pytest.skip(
        "headless Chromium is not installed (apt-get install chromium chromium-driver)", allow_module_level=True
    )

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

PASSWORD = "browser-test-password-01"


@pytest.fixture(scope="module")
def server():
    tmp = Path(tempfile.mkdtemp(prefix="petitions-browser-"))
    with live_server(tmp, "browser", {"desk": ("reception", "MTTQ-01")}, PASSWORD) as (base, _env, _log):
        with httpx.Client(base_url=base, timeout=30) as c:
            token = c.post("/api/v1/auth/token", data={"username": "desk", "password": PASSWORD}).json()["access_token"]
            resp = c.post(
                "/api/v1/cases",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "kind": "petition",
                    "channel": "in_person",
                    "title": "Kiến nghị sửa đường ngõ 5",
                    "content": "Đường ngõ 5 xuống cấp",
                    "field": "administration",
                    "location_unit_code": "00070",
                    "petitioners": [{"full_name": "Vũ Thị Kín", "id_number": "001190033444", "phone": "0911222333"}],
                },
            )
            assert resp.status_code == 201, resp.text
        yield base, resp.json()["tracking"], tmp


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=412,915",
        "--lang=vi",
    ):  # a phone's viewport
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_a_citizen_fills_the_form_and_reads_the_result(server, browser):
    base, tracking, tmp = server
    browser.get(f"{base}/track")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    # every input has a visible label tied to it
    for field in ("code", "pin"):
        label = browser.find_element(By.CSS_SELECTOR, f"label[for='{field}']")
        assert label.is_displayed() and label.text
    # keyboard only: the code field, Tab to the PIN, Enter submits
    code_input = browser.find_element(By.ID, "code")
    code_input.click()
    code_input.send_keys(tracking["code"])
    code_input.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "pin"
    browser.switch_to.active_element.send_keys(tracking["pin"], Keys.ENTER)
    heading = WebDriverWait(browser, 20).until(lambda d: d.find_element(By.TAG_NAME, "h2"))
    assert heading.text == f"Đơn {tracking['code']}"
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "Kiến nghị" in text and "Đã tiếp nhận đơn, đang phân loại và xử lý" in text and "Tiếp nhận đơn" in text
    for private in ("Vũ Thị Kín", "001190033444", "0911222333", "sửa đường ngõ 5"):
        assert private not in browser.page_source
    shot = tmp / "track-result.png"
    browser.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 1000


def test_a_wrong_pin_says_so_without_javascript(server, browser):
    base, tracking, _ = server
    browser.get(f"{base}/track")
    browser.find_element(By.ID, "code").send_keys(tracking["code"])
    wrong = "000000" if tracking["pin"] != "000000" else "111111"
    browser.find_element(By.ID, "pin").send_keys(wrong)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    alert = WebDriverWait(browser, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, "[role=alert]"))
    assert "Không tìm thấy đơn" in alert.text
    assert browser.find_element(By.ID, "code").get_attribute("value") == tracking["code"]
