"""README screenshots from the running demo (./dev run), in a real headless Chromium.

    ./dev screenshots        (starts nothing itself: the demo must be serving)

Logs in as the accountant and as the portal customer through the login form, opens the
pages below and saves PNGs into docs/screenshots/. Uses the Chrome DevTools protocol
directly (websocket-client), so it needs no extra browser driver.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

BASE = os.environ.get("DEMO_URL", "http://localhost:8069")
OUT = os.path.join(os.path.dirname(__file__), "..", "docs", "screenshots")


class Browser:
    def __init__(self):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            sys.exit("chromium is not installed")
        self.profile = tempfile.mkdtemp(prefix="dc-shots-")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-port=9333",
                f"--user-data-dir={self.profile}",
                "--window-size=1440,1000",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(50):
            try:
                with urllib.request.urlopen("http://127.0.0.1:9333/json") as response:
                    pages = [p for p in json.load(response) if p["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self.counter = 0
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=1440,
            height=1000,
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method, **params):
        self.counter += 1
        self.socket.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.counter:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def open(self, path, wait_for, seconds=30):
        self.call("Page.navigate", url=BASE + path)
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(wait_for)})"):
                time.sleep(1.5)  # let fonts, images and animations settle
                return
            time.sleep(0.3)
        raise RuntimeError(f"{path}: {wait_for} did not appear")

    def login(self, login):
        self.call("Network.enable")
        self.call("Network.clearBrowserCookies")
        self.open("/web/login", "input[name=login]")
        self.evaluate(
            f"document.querySelector('input[name=login]').value = {json.dumps(login)};"
            f"document.querySelector('input[name=password]').value = {json.dumps(login)};"
            "document.querySelector('form.oe_login_form').submit();"
        )
        time.sleep(3)

    def size(self, width, height, mobile=False):
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )

    def shot(self, name, selector=None):
        """The viewport, or only the element `selector` (scrolled into view)."""
        params = {"format": "png"}
        if selector:
            box = self.evaluate(
                f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
                "el.scrollIntoView(); const r = el.getBoundingClientRect();"
                "return {x: r.x + scrollX, y: r.y + scrollY,"
                " width: r.width, height: r.height}; })()"
            )
            params.update(clip={**box, "scale": 1}, captureBeyondViewport=True)
        data = self.call("Page.captureScreenshot", **params)["data"]
        path = os.path.join(OUT, f"{name}.png")
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))
        print(f"saved {os.path.relpath(path)}")

    def close(self):
        self.process.terminate()
        shutil.rmtree(self.profile, ignore_errors=True)


def ids(browser, model, domain, limit=1):
    """Record ids through the JSON-RPC of the logged-in session."""
    payload = {
        "model": model,
        "method": "search",
        "args": [domain],
        "kwargs": {
            "limit": limit,
            "order": "amount_overdue desc" if model == "debtor.care.case" else "id desc",
        },
    }
    return browser.evaluate(
        "fetch('/web/dataset/call_kw', {method: 'POST', headers: {'Content-Type': "
        "'application/json'}, body: JSON.stringify({jsonrpc: '2.0', method: 'call', params: "
        f"{json.dumps(payload)}}})}}).then(r => r.json()).then(r => r.result)"
    )


def main():
    os.makedirs(OUT, exist_ok=True)
    browser = Browser()
    try:
        browser.login("accountant")
        browser.open("/odoo/action-debtor_care.debtor_care_case_action", ".o_kanban_record")
        browser.shot("cockpit")
        case_id = ids(
            browser, "debtor.care.case", [["state", "=", "open"], ["dunning_ids", "!=", False]]
        )[0]
        browser.open(
            f"/odoo/action-debtor_care.debtor_care_case_action/{case_id}",
            ".o_form_view .o-mail-Chatter",
        )
        browser.shot("case")
        activity = ids(
            browser,
            "mail.activity",
            [["activity_type_id.name", "ilike", "call"], ["res_model", "=", "debtor.care.case"]],
        )
        if activity:
            browser.open(f"/odoo/mail.activity/{activity[0]}", ".o_form_view .o_field_html")
            browser.shot("call-script")
        browser.open(
            "/odoo/action-debtor_care.debtor_care_dashboard_action",
            ".o_field_widget[name=contact_agreement_rate]",
        )
        browser.shot("key-figures")
        review = ids(
            browser, "debtor.care.case", [["stage", "=", "handover"], ["state", "=", "open"]]
        )
        if review:
            browser.open(
                f"/odoo/action-debtor_care.debtor_care_case_action/{review[0]}",
                "button[name=action_hand_over]",
            )
            browser.shot("handover-review")
        browser.open(
            "/odoo/action-debtor_care.debtor_care_settings_server_action",
            ".o_form_view .o_field_widget[name=debtor_care_min_contact_gap]",
        )
        browser.shot("manager-settings")
        browser.open(
            "/odoo/action-debtor_care.debtor_care_run_action",
            ".o_list_view .o_data_row .o_field_progressbar",
        )
        browser.shot("daily-runs")
        experiment = ids(browser, "debtor.care.experiment", [["state", "=", "running"]])
        if experiment:
            browser.open(
                f"/odoo/action-debtor_care.debtor_care_experiment_action/{experiment[0]}",
                ".o_debtor_care_experiment_comparison",
            )
            browser.shot("experiment")
        browser.open("/odoo/action-debtor_care.debtor_care_case_outcome_action", ".o_pivot")
        browser.shot("case-outcomes")
        agreement = ids(
            browser, "debtor.care.agreement", [["autopay_state", "=", "active"]]
        ) or ids(browser, "debtor.care.agreement", [["line_ids", "!=", False]])
        if agreement:
            browser.open(f"/report/html/debtor_care.report_agreement/{agreement[0]}", ".page")
            browser.shot("agreement-pdf")
        browser.login("customer")
        browser.open("/my/payment-care", ".o_debtor_care_page")
        browser.shot("portal")
        browser.shot("payment-block", ".o_debtor_care_summary")
        browser.size(390, 844, mobile=True)
        browser.open("/my/payment-care", ".o_debtor_care_page")
        browser.shot("portal-phone")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
