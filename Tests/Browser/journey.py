#!/usr/bin/env python3
"""The web pages of hria in a real browser (issue 18; docs/TESTING.md, "The browser tests").

Headless Chromium driven by Selenium against a running `hria serve`: two people enrol their browsers (each browser
keeps its own non-extractable Ed25519 key in its own profile), the admin adds the second person's key on the roster
page, evidence is recorded with a file, the sign-off is given with the keyboard alone, the assessment is advanced to
its decision, the public report is read without a session, and, when the workspace has one, a consultation form is
answered anonymously by a browser with JavaScript turned off. axe-core (axe-selenium-python) checks every page; a
serious or critical violation fails the run, after every page was visited, with all of them listed. A screenshot of
every page is kept in HRIA_WEB_ARTEFACTS (default .build/web-artefacts), numbered in the order taken.

    journey.py --base http://127.0.0.1:PORT --hria .build/debug/hria --workspace WS --assessment ID ...

It is run by Tests/EndToEndTests/WebBrowserTests.swift, which prepares the workspace and the server; it can be run by
hand against a server of your own (see --help). Exit 0: every step passed and no serious or critical violation.
"""

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from urllib.parse import urlparse

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch a browser or a driver

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
    import axe_selenium_python
except ImportError as error:  # pragma: no cover
    print(f"journey.py: cannot import {error.name}: python3 -m pip install selenium axe-selenium-python", file=sys.stderr)
    sys.exit(2)

WAIT = 20  # seconds any one thing may take to appear
BLOCKING = {"serious", "critical"}


class StepFailed(Exception):
    pass


class Journey:
    def __init__(self, args):
        self.args = args
        self.base = args.base.rstrip("/")
        self.started = time.monotonic()
        self.artefacts = args.artefacts
        os.makedirs(self.artefacts, exist_ok=True)
        for name in os.listdir(self.artefacts):
            if name.endswith(".png") or name == "axe.json":
                os.remove(os.path.join(self.artefacts, name))
        self.shots = 0
        self.violations = []  # (page, violation)
        self.checked = []  # pages axe checked
        self.drivers = {}
        self.profiles = []
        # axe-core as axe-selenium-python ships it, or another axe.min.js (HRIA_AXE_SCRIPT, --axe-script).
        self.axe_script = args.axe_script or os.path.join(os.path.dirname(axe_selenium_python.__file__), "node_modules", "axe-core",
                                                          "axe.min.js")
        with open(self.axe_script, encoding="utf-8") as f:
            self.axe_source = f.read()
        self.axe_version = "?"
        self.current = "starting"

    # -- output -------------------------------------------------------------------------------------------------------

    def log(self, text):
        print(f"[{time.monotonic() - self.started:6.1f}s] {text}", flush=True)

    def step(self, text):
        self.current = text
        self.log(text)

    # -- browsers -----------------------------------------------------------------------------------------------------

    def browser(self, who, javascript=True):
        """A Chromium of its own for `who`: its own profile folder, so its own IndexedDB and its own key."""
        options = webdriver.ChromeOptions()
        binary = self.args.chromium or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if binary:
            options.binary_location = binary
        profile = tempfile.mkdtemp(prefix=f"hria-browser-{who}-")
        self.profiles.append(profile)
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     f"--user-data-dir={profile}", "--lang=en-GB", "--no-first-run", "--no-default-browser-check",
                     "--disable-extensions", "--disable-background-networking", "--disable-sync",
                     "--disable-component-update", "--password-store=basic"]:
            options.add_argument(flag)
        if not javascript:
            options.add_argument("--blink-settings=scriptEnabled=false")
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver_path = self.args.chromedriver or shutil.which("chromedriver")
        service = Service(executable_path=driver_path) if driver_path else Service()
        driver = webdriver.Chrome(options=options, service=service)
        driver.set_page_load_timeout(WAIT)
        driver.set_script_timeout(WAIT)
        self.drivers[who] = driver
        return driver

    def quit(self):
        for driver in self.drivers.values():
            try:
                driver.quit()
            except Exception:
                pass
        for profile in self.profiles:
            shutil.rmtree(profile, ignore_errors=True)

    # -- pages --------------------------------------------------------------------------------------------------------

    def open(self, driver, path):
        driver.get(self.base + path)
        self.expect_no_error_page(driver)

    def wait(self, driver, condition, what, timeout=WAIT):
        try:
            return WebDriverWait(driver, timeout).until(condition)
        except TimeoutException:
            raise StepFailed(f"waited {timeout} s for {what}; the page at {driver.current_url} says:\n{self.said(driver)}")

    def said(self, driver):
        """What the page tells a person: its heading, its notices and status lines."""
        lines = []
        try:
            for selector in ["h1", ".notice", ".status", "#sign-status", "#enrol-status", "#sign-in-status"]:
                for element in driver.find_elements(By.CSS_SELECTOR, selector):
                    text = element.text.strip()
                    if text and text not in lines:
                        lines.append(text)
        except WebDriverException:
            pass
        return "\n".join("    " + line for line in lines) or "    (nothing)"

    def expect_no_error_page(self, driver):
        bad = driver.find_elements(By.CSS_SELECTOR, ".notice.bad[role=alert]")
        if bad:
            raise StepFailed(f"{driver.current_url} shows an error:\n{self.said(driver)}")

    def shot(self, driver, name):
        """A PNG of the whole page (beyond the window), numbered in order."""
        self.shots += 1
        path = os.path.join(self.artefacts, f"{self.shots:02d}-{name}.png")
        try:
            data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
            with open(path, "wb") as f:
                f.write(base64.b64decode(data))
        except Exception:
            driver.save_screenshot(path)
        return path

    def check(self, driver, name, axe=True):
        """axe on the page as it is now, then its screenshot."""
        if axe:
            self.axe(driver, name)
        self.shot(driver, name)

    def axe(self, driver, name):
        driver.execute_script(self.axe_source)
        results = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(done, (e) => done({error: String(e)}));")
        if not isinstance(results, dict) or "error" in results:
            raise StepFailed(f"axe did not run on {name}: {results}")
        if self.axe_version == "?":
            self.axe_version = driver.execute_script("return window.axe && axe.version") or "?"
        path = urlparse(driver.current_url).path
        self.checked.append(f"{name} ({path})")
        found = results.get("violations", [])
        for violation in found:
            self.violations.append((f"{name} ({path})", violation))
        serious = [v for v in found if v.get("impact") in BLOCKING]
        if found:
            self.log(f"    axe: {len(found)} violation(s) on {path}, {len(serious)} serious or critical: "
                     + ", ".join(f"{v['id']} ({v.get('impact')})" for v in found))

    # -- acts ---------------------------------------------------------------------------------------------------------

    def enrol(self, driver, who):
        self.open(driver, "/web/enrol")
        self.wait(driver, EC.element_to_be_clickable((By.ID, "make-key")), "the button that makes the key")
        self.check(driver, f"enrol-{who}")
        driver.find_element(By.ID, "make-key").click()
        line = self.wait(driver, lambda d: (d.find_element(By.ID, "public-key").get_attribute("value") or "").startswith("ssh-ed25519 ")
                         and d.find_element(By.ID, "public-key").get_attribute("value"), "the public key line")
        fingerprint = driver.find_element(By.ID, "key-fingerprint").text.strip()
        if not fingerprint.startswith("SHA256:"):
            raise StepFailed(f"the fingerprint shown is {fingerprint!r}")
        self.check(driver, f"enrol-{who}-key-made")
        self.log(f"    {who}'s browser key: {fingerprint}")
        # The secret half must stay in the browser: the key kept in IndexedDB refuses to be exported, by anyone.
        exported = driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const request = indexedDB.open("hria", 1);
            request.onsuccess = () => {
              const get = request.result.transaction("keys").objectStore("keys").get("browser");
              get.onsuccess = async () => {
                const key = get.result && get.result.privateKey;
                if (!key) { done("no key kept"); return; }
                if (key.extractable) { done("extractable"); return; }
                try { await crypto.subtle.exportKey("pkcs8", key); done("exported"); } catch (e) { done("refused: " + e.name); }
              };
              get.onerror = () => done("unreadable");
            };
            request.onerror = () => done("no database");
        """)
        if not str(exported).startswith("refused"):
            raise StepFailed(f"{who}'s browser key could be exported or was not kept: {exported}")
        self.log(f"    its secret half cannot be exported ({exported})")
        return line.strip(), fingerprint

    def sign_in(self, driver, who, next_path="/web"):
        self.open(driver, "/web/sign-in?next=" + next_path)
        self.wait(driver, EC.element_to_be_clickable((By.ID, "sign-in")), "the sign-in button")
        if not self.signed_in_once.get("page"):
            self.check(driver, "sign-in")
            self.signed_in_once["page"] = True
        driver.find_element(By.ID, "sign-in").click()
        self.wait(driver, lambda d: urlparse(d.current_url).path != "/web/sign-in", f"{who} to be signed in")
        self.expect_no_error_page(driver)
        who_line = driver.find_element(By.CSS_SELECTOR, "form.who").text
        if who not in who_line:
            raise StepFailed(f"after signing in, the page says {who_line!r}, not {who}")

    def sign_review(self, driver, name, keyboard=False):
        """The review page: check it, then "Sign and record" (by Enter on the focused button when `keyboard`)."""
        form = self.wait(driver, EC.presence_of_element_located((By.ID, "sign-form")), "the page that signs (form#sign-form)")
        button = form.find_element(By.CSS_SELECTOR, "button[type=submit]")
        if button.text.strip() != "Sign and record":
            raise StepFailed(f"the review page's button says {button.text!r}")
        self.check(driver, name)
        before = driver.current_url
        if keyboard:
            active = driver.switch_to.active_element
            if active != button:
                raise StepFailed(f"the review page's focus is on <{active.tag_name} id={active.get_attribute('id')!r}>, "
                                 "not on \"Sign and record\" (autofocus)")
            ActionChains(driver).send_keys(Keys.ENTER).perform()
        else:
            button.click()
        self.wait(driver, lambda d: d.current_url != before and "recorded=" in d.current_url,
                  "the signed events to be recorded (a page with ?recorded=)")
        self.expect_no_error_page(driver)
        notice = self.wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, ".notice.good")), "the notice of what was recorded")
        self.log(f"    {notice.text.strip()}")
        return notice.text

    def fill(self, driver, element_id, value):
        element = driver.find_element(By.ID, element_id)
        tag = element.tag_name.lower()
        kind = (element.get_attribute("type") or "").lower()
        if tag == "select":
            Select(element).select_by_value(value)
        elif kind == "file":
            element.send_keys(value)
        elif kind in ("date", "number"):
            # Typing a date depends on the browser's locale; setting the value is what a date picker does.
            driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                                  "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));", element, value)
        else:
            element.clear()
            element.send_keys(value)

    def keyboard_signoff(self, driver, comment):
        """The sign-off form with the keyboard alone: Tab from the start of the page to the first choice, Space to choose
        Approve, Tab to the comment and type it, Tab to the button, Enter; then Enter on the review page's focused
        button."""
        driver.find_element(By.TAG_NAME, "body")  # page loaded
        driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
        keys = ActionChains(driver)
        tabs = 0
        while tabs < 120:
            ActionChains(driver).send_keys(Keys.TAB).perform()
            tabs += 1
            active = driver.switch_to.active_element
            if active.get_attribute("id") in ("decision-approve", "decision-reject"):
                break
        else:
            raise StepFailed("120 presses of Tab never reached the sign-off form's choices (#decision-approve)")
        self.log(f"    {tabs} presses of Tab from the start of the page reach the sign-off's first choice "
                 f"(#{driver.switch_to.active_element.get_attribute('id')})")
        if driver.switch_to.active_element.get_attribute("id") != "decision-approve":
            # The group is one stop; the arrow keys move within it.
            ActionChains(driver).send_keys(Keys.ARROW_UP).perform()
        ActionChains(driver).send_keys(Keys.SPACE).perform()
        if not driver.find_element(By.ID, "decision-approve").is_selected():
            raise StepFailed("Space on the first choice did not choose Approve")
        ActionChains(driver).send_keys(Keys.TAB).perform()
        if driver.switch_to.active_element.get_attribute("id") != "signoff-comment":
            active = driver.switch_to.active_element
            raise StepFailed(f"Tab after the choice went to <{active.tag_name} id={active.get_attribute('id')!r}>, not the comment")
        ActionChains(driver).send_keys(comment).perform()
        ActionChains(driver).send_keys(Keys.TAB).perform()
        active = driver.switch_to.active_element
        if active.tag_name.lower() != "button" or active.get_attribute("type") != "submit" \
                or active.find_element(By.XPATH, "./ancestor::form").get_attribute("id") != "signoff":
            raise StepFailed(f"Tab after the comment went to <{active.tag_name} id={active.get_attribute('id')!r}> "
                             f"({active.text!r}), not the sign-off form's button")
        ActionChains(driver).send_keys(Keys.ENTER).perform()
        return keys

    # -- the journey ----------------------------------------------------------------------------------------------------

    def run(self):
        a = self.args
        self.signed_in_once = {}
        assessment = f"/web/assessments/{a.assessment}"

        self.step(f"starting two browsers, one for {a.admin} and one for {a.approver}, each with its own profile")
        admin = self.browser(a.admin)
        approver = self.browser(a.approver)

        self.step(f"{a.admin} enrols a browser: /web/enrol, #make-key")
        admin_line, admin_print = self.enrol(admin, a.admin)

        self.step(f"{a.admin}'s browser key set on the roster with the command line (hria people key {a.admin}, signed with the old key)")
        environment = dict(os.environ)
        done = subprocess.run([a.hria, "people", "key", a.admin, admin_line, "--reason", "the admin's enrolled browser", "--as", a.admin],
                              cwd=a.workspace, env=environment, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise StepFailed(f"hria people key {a.admin}: exit {done.returncode}\n{done.stdout}{done.stderr}")
        self.log("    " + done.stdout.strip())

        self.step(f"{a.approver} enrols another browser")
        approver_line, approver_print = self.enrol(approver, a.approver)

        self.step(f"{a.admin} signs in (/web/sign-in, #sign-in)")
        self.sign_in(admin, a.admin)
        self.check(admin, "portfolio")

        self.step(f"{a.admin} adds {a.approver}'s browser key on the roster page (form#roster-key), signs and records it")
        self.open(admin, "/web/roster")
        self.check(admin, "roster")
        Select(admin.find_element(By.ID, "key-person")).select_by_value(a.approver)
        self.fill(admin, "key-line", approver_line)
        admin.find_element(By.CSS_SELECTOR, "form#roster-key button[type=submit]").click()
        text = self.sign_review(admin, "roster-key-review")
        if "Recorded 1" not in text:
            raise StepFailed(f"the roster says {text!r}")
        row = admin.find_element(By.XPATH, f"//tr[th[normalize-space()='{a.approver}']]").text
        if approver_print.split(":", 1)[1][:12] not in row:
            raise StepFailed(f"the roster's row for {a.approver} ({row!r}) does not show the key {approver_print}")
        self.check(admin, "roster-key-recorded")

        self.step(f"{a.admin} records evidence {a.requirement} with its fields and a file (form#evidence-{a.requirement}-form)")
        self.open(admin, assessment)
        self.check(admin, "assessment")
        prefix = f"evidence-{a.requirement}"
        form = admin.find_element(By.ID, f"{prefix}-form")
        details = admin.find_element(By.ID, prefix)
        if details.get_attribute("open") is None:
            admin.find_element(By.CSS_SELECTOR, f"#{prefix} > summary").click()
        for pair in a.field:
            name, value = pair.split("=", 1)
            self.fill(admin, f"{prefix}-{name}", value)
        if a.file:
            self.fill(admin, f"{prefix}-file", os.path.abspath(a.file))
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.sign_review(admin, "evidence-review")
        evidence_rows = [r.text for r in admin.find_elements(By.XPATH, "//h2[.='Evidence']/following::table[1]//tbody/tr")]
        if not any(a.requirement in r and a.admin in r for r in evidence_rows):
            raise StepFailed(f"the evidence table shows no {a.requirement} by {a.admin}: {evidence_rows}")
        if a.file and not any(os.path.basename(a.file) in r for r in evidence_rows):
            raise StepFailed(f"the evidence table shows no file {os.path.basename(a.file)}: {evidence_rows}")
        self.check(admin, "evidence-recorded")

        self.step(f"{a.approver} signs in and approves with the sign-off form (form#signoff), with the keyboard alone")
        self.sign_in(approver, a.approver, next_path=assessment)
        if urlparse(approver.current_url).path != assessment:
            raise StepFailed(f"signing in with next={assessment} led to {approver.current_url}")
        self.wait(approver, EC.presence_of_element_located((By.ID, "signoff")), "the sign-off form (form#signoff)")
        self.check(approver, "assessment-approver")
        self.keyboard_signoff(approver, "Approved from the keyboard: two sources checked.")
        self.sign_review(approver, "signoff-review", keyboard=True)
        signoffs = [r.text for r in approver.find_elements(By.XPATH, "//h2[.='Sign-offs']/following::table[1]//tbody/tr")]
        if not any(a.approver in r and "approved" in r and "keyboard" in r for r in signoffs):
            raise StepFailed(f"the sign-offs table shows no approval by {a.approver}: {signoffs}")
        self.check(approver, "signoff-recorded")

        self.step(f"{a.admin} advances the assessment (form#advance) to {a.advance_to}")
        self.open(admin, assessment)
        if a.advance_to:
            Select(admin.find_element(By.ID, "advance-to")).select_by_value(a.advance_to)
        self.fill(admin, "advance-reason", "Two sources, no warning sign, approved.")
        admin.find_element(By.CSS_SELECTOR, "form#advance button[type=submit]").click()
        self.sign_review(admin, "advance-review")
        ended = admin.find_element(By.ID, "main").text
        if f"This assessment has ended: {a.outcome}" not in ended:
            raise StepFailed(f"after the move the assessment page does not say it ended with {a.outcome!r}:\n{self.said(admin)}")
        self.check(admin, "decision-reached")

        self.step("the public report, read without a session (/public/ID/report)")
        public = self.browser("public")
        public.get(f"{self.base}/public/{a.assessment}/report?format=html")
        body = public.find_element(By.TAG_NAME, "body").text
        if a.outcome not in body.lower():
            raise StepFailed(f"the public report does not name the decision {a.outcome!r}:\n{body[:1500]}")
        self.check(public, "public-report")
        public.get(f"{self.base}/public/{a.assessment}/report")
        if a.outcome not in public.find_element(By.TAG_NAME, "body").text.lower():
            raise StepFailed("the public report in Markdown does not name the decision")
        self.check(public, "public-report-markdown", axe=False)

        self.step("the other pages: portfolio, workflow, audit, decision record, roster, each checked by axe")
        for name, path in [("portfolio-after", "/web"), ("workflows", "/web/workflows"), ("workflow", f"/web/workflows/{a.workflow}"),
                           ("audit", f"{assessment}/audit"), ("decision-record", f"{assessment}/report"), ("roster-after", "/web/roster")]:
            self.open(admin, path)
            self.check(admin, name)
            self.log(f"    {path}: {admin.title}")

        if a.consultation:
            self.consultation()
        else:
            self.log("    (no --consultation given: the anonymous consultation step is not run)")

        self.step(f"{a.admin} signs out")
        admin.find_element(By.CSS_SELECTOR, "form.who button[type=submit]").click()
        self.wait(admin, lambda d: urlparse(d.current_url).path == "/web/sign-in", "the sign-in page after signing out")

    def consultation(self):
        """The owner opens a consultation form on an assessment's page; a browser with no session and JavaScript turned
        off answers it anonymously; the owner finds the answer awaiting review and records it as evidence, signed."""
        a = self.args
        owner = self.drivers[a.admin]
        path = f"/web/assessments/{a.consultation}"
        self.step(f"{a.admin} opens a consultation form on {a.consultation} for {a.consultation_requirement} (form#consultation-open)")
        self.open(owner, path)
        form = self.wait(owner, EC.presence_of_element_located((By.ID, "consultation-open")), "the form that opens a consultation")
        details = form.find_element(By.XPATH, "./ancestor::details[1]")
        if details.get_attribute("open") is None:
            details.find_element(By.TAG_NAME, "summary").click()
        self.check(owner, "consultation-assessment")
        Select(owner.find_element(By.ID, "consultation-requirement")).select_by_value(a.consultation_requirement)
        self.fill(owner, "consultation-title", "Your voice on the campaign platform")
        self.fill(owner, "consultation-introduction", "The office asks people who would use the platform what they fear from it.\n\n"
                  "You do not need to give your name.")
        Select(owner.find_element(By.ID, "consultation-language")).select_by_value(a.consultation_language)
        closes = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 14 * 86400))
        self.fill(owner, "consultation-closes", closes)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        link = self.wait(owner, EC.presence_of_element_located((By.CSS_SELECTOR, "#consultations a[href^='/web/consult/']")),
                         "the link of the opened consultation form")
        url = link.get_attribute("href")
        self.check(owner, "consultation-opened")

        self.step("an anonymous person, in a browser with no session and JavaScript off, answers the form")
        anonymous = self.browser("anonymous", javascript=False)
        anonymous.get(url)
        if not urlparse(anonymous.current_url).path.startswith("/web/consult/"):
            raise StepFailed(f"the consultation link {urlparse(url).path} led to {urlparse(anonymous.current_url).path}: the public form "
                             f"must open without a session:\n{self.said(anonymous)}")
        html = anonymous.find_element(By.TAG_NAME, "html")
        language = self.languages[a.consultation_language] if a.consultation_language in self.languages else None
        if html.get_dom_attribute("lang") != a.consultation_language:
            raise StepFailed(f"the consultation page's language is {html.get_dom_attribute('lang')!r}, not {a.consultation_language!r}")
        if language and html.get_dom_attribute("dir") != language:
            raise StepFailed(f"the consultation page's direction is {html.get_dom_attribute('dir')!r}, not {language!r}")
        if anonymous.find_elements(By.CSS_SELECTOR, "script"):
            raise StepFailed("the consultation page loads a script")
        self.shot(anonymous, "consultation-form")
        self.axe_elsewhere(url, "consultation-form")
        for pair in a.answer:
            name, value = pair.split("=", 1)
            field = anonymous.find_element(By.CSS_SELECTOR, f"form [name='f:{name}']")
            if field.tag_name.lower() == "select":
                Select(field).select_by_value(value)
            else:
                field.send_keys(value)
        consent = anonymous.find_element(By.ID, "answer-consent")
        if not consent.is_selected():
            consent.click()
        anonymous.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        self.wait(anonymous, lambda d: not d.find_elements(By.CSS_SELECTOR, "input[name=form]"), "the page after sending the answer")
        if anonymous.find_elements(By.CSS_SELECTOR, ".notice.bad"):
            raise StepFailed(f"the answer was refused:\n{self.said(anonymous)}")
        self.log(f"    the person is told: {anonymous.find_element(By.TAG_NAME, 'main').text.strip()!r}")
        self.shot(anonymous, "consultation-sent")

        self.step(f"{a.admin} finds the answer awaiting review and records it as evidence, signed in the browser")
        self.open(owner, path)
        record = self.wait(owner, EC.presence_of_element_located((By.CSS_SELECTOR, "form[action$='/record'][action*='/consultations/answers/']")),
                           "the answer awaiting review, with its form to record it")
        self.check(owner, "consultation-answer-waiting")
        for pair in a.complete:
            name, value = pair.split("=", 1)
            field = record.find_element(By.CSS_SELECTOR, f"[name='field:{name}'], [name='confidential:{name}']")
            field.clear()
            field.send_keys(value)
        record.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.sign_review(owner, "consultation-answer-review")
        if owner.find_elements(By.CSS_SELECTOR, "form[action$='/record'][action*='/consultations/answers/']"):
            raise StepFailed("the recorded answer still waits for review")
        rows = [r.text for r in owner.find_elements(By.XPATH, "//h2[.='Evidence']/following::table[1]//tbody/tr")]
        if not any(a.consultation_requirement in r and a.admin in r for r in rows):
            raise StepFailed(f"the evidence table shows no {a.consultation_requirement} by {a.admin}")
        self.check(owner, "consultation-answer-recorded")

    languages = {"ar": "rtl", "en": "ltr", "fr": "ltr", "es": "ltr"}

    def axe_elsewhere(self, url, name):
        """axe (a script) on a page that a browser without JavaScript shows: loaded again in the browser that reads the
        public report, which runs scripts and has no session."""
        checker = self.drivers.get("public") or self.browser("public")
        checker.get(url)
        self.axe(checker, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the server, http://127.0.0.1:PORT")
    parser.add_argument("--hria", required=True, help="the hria executable (sets the admin's browser key on the roster)")
    parser.add_argument("--workspace", required=True, help="the workspace the server serves")
    parser.add_argument("--assessment", required=True, help="the assessment, waiting for evidence and a sign-off")
    parser.add_argument("--workflow", required=True, help="its workflow's name")
    parser.add_argument("--admin", default="admin", help="the admin, who also owns the stage (records evidence, advances)")
    parser.add_argument("--approver", required=True, help="the person who signs the stage off, on the roster without a key")
    parser.add_argument("--requirement", required=True, help="the evidence item the admin records")
    parser.add_argument("--field", action="append", default=[], help="NAME=VALUE of the evidence (repeat)")
    parser.add_argument("--file", help="a file to attach to the evidence")
    parser.add_argument("--advance-to", default="", help="the stage to move to (default: the one the rules choose)")
    parser.add_argument("--outcome", required=True, help="the outcome the assessment ends with, as the pages name it")
    parser.add_argument("--consultation", help="an assessment on which the admin (who owns its stage) opens a consultation form")
    parser.add_argument("--consultation-requirement", help="the evidence item the consultation feeds")
    parser.add_argument("--consultation-language", default="en", help="the language of the consultation form (ar: right to left)")
    parser.add_argument("--answer", action="append", default=[], help="FIELD=VALUE the anonymous person answers (repeat)")
    parser.add_argument("--complete", action="append", default=[], help="FIELD=VALUE the owner completes when recording it (repeat)")
    parser.add_argument("--artefacts", default=os.environ.get("HRIA_WEB_ARTEFACTS", ".build/web-artefacts"),
                        help="where the screenshots go (HRIA_WEB_ARTEFACTS, default .build/web-artefacts)")
    parser.add_argument("--chromium", default=os.environ.get("HRIA_CHROMIUM"), help="the browser (default: chromium on PATH)")
    parser.add_argument("--chromedriver", default=os.environ.get("HRIA_CHROMEDRIVER"), help="the driver (default: chromedriver on PATH)")
    parser.add_argument("--axe-script", default=os.environ.get("HRIA_AXE_SCRIPT"),
                        help="an axe.min.js to use instead of axe-selenium-python's (HRIA_AXE_SCRIPT)")
    parser.add_argument("--timeout", type=int, default=240, help="seconds the whole journey may take (default 240)")
    args = parser.parse_args()

    # Stopped from outside (SIGTERM) or taking too long: fail as a step does, so that the browsers are closed.
    def stop(signum, _frame):
        raise StepFailed("stopped by SIGTERM" if signum == signal.SIGTERM else f"the journey took longer than {args.timeout} s")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGALRM, stop)
    signal.alarm(args.timeout)

    journey = Journey(args)
    failure = None
    try:
        journey.run()
    except StepFailed as error:
        failure = str(error)
    except WebDriverException as error:
        failure = f"{type(error).__name__}: {error.msg}"
        traceback.print_exc()
    except Exception as error:  # a bug of this script is a failure too, with its trace
        failure = f"{type(error).__name__}: {error}"
        traceback.print_exc()
    signal.alarm(0)
    if failure:
        for who, driver in journey.drivers.items():
            try:
                journey.shot(driver, f"FAILED-{who}")
                console = [entry["message"] for entry in driver.get_log("browser") if "favicon.ico" not in entry["message"]]
                if console:
                    print(f"  {who}'s browser console:\n" + "\n".join("    " + line for line in console[-10:]))
            except Exception:
                pass
    journey.quit()

    with open(os.path.join(journey.artefacts, "axe.json"), "w", encoding="utf-8") as f:
        json.dump([{"page": page, **violation} for page, violation in journey.violations], f, indent=1)
    blocking = [(page, v) for page, v in journey.violations if v.get("impact") in BLOCKING]
    print()
    print(f"== axe-core {journey.axe_version}: {len(journey.checked)} page(s) checked, {len(journey.violations)} violation(s), "
          f"{len(blocking)} serious or critical ==")
    for page, v in journey.violations:
        print(f"- [{v.get('impact')}] {v['id']}: {v.get('help')} — on {page}")
        print(f"    {v.get('helpUrl', '')}")
        for node in v.get("nodes", [])[:8]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            print(f"    at {target}: {summary[:300]}")
        if len(v.get("nodes", [])) > 8:
            print(f"    … and {len(v['nodes']) - 8} more")
    print(f"screenshots: {journey.shots} in {os.path.abspath(journey.artefacts)}")
    print(f"took {time.monotonic() - journey.started:.1f} s")
    if failure:
        print(f"\nFAILED at \"{journey.current}\":\n{failure}")
        return 1
    if blocking:
        print(f"\nFAILED: {len(blocking)} serious or critical accessibility violation(s), listed above")
        return 1
    print("\nOK: every step passed, no serious or critical accessibility violation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
