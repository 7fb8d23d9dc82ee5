"""The care page in a real Chromium, as a customer sees it on a phone and on a desktop:
nothing wider than the screen, the pay buttons in view, no serious accessibility
violation (axe-core from npm, installed by ./dev), and the conversation with us."""

import os
from datetime import timedelta

from odoo.tests import HttpCase, tagged

from .common import DebtorCareCommon

AXE_RUN = """
(async () => {
    // the conversation is part of the page: wait until it has rendered
    for (let i = 0; i < 100 && !document.querySelector("#chatterRoot")?.shadowRoot
            ?.querySelector(".o-mail-Composer-input"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const result = await axe.run(document, {resultTypes: ["violations"]});
    const serious = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
    if (serious.length) {
        const where = (v) => v.nodes.slice(0, 3).map((n) => n.html).join(", ");
        console.error("axe-core: " + serious.map((v) => `${v.id} (${v.impact}) at ${where(v)}`)
            .join("; "));
    } else {
        console.log("test successful");
    }
})();
"""


class PortalInBrowser:
    """The checks, run at each screen size below (a mixin: not a test case itself)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_euros()
        cls._company_bank()
        cls.other_customer = cls.env["res.partner"].create({"name": "Otto Other"})
        cls.portal_user = cls._portal_user()

    def setUp(self):
        super().setUp()
        self._open_two_cases()
        self._invoice(self.consumer, 1234.56, 20)  # a longer amount, a second row
        self._run(self.today)

    def _axe(self, url, login=None):
        path = os.environ.get("DEBTOR_CARE_AXE_JS")
        if not path or not os.path.isfile(path):
            self.skipTest("axe-core is not installed (./dev installs it from npm)")
        with open(path, encoding="utf-8") as axe:
            source = axe.read()
        # axe-core is loaded by the `ready` check once the page is complete: a failure
        # then reports the violations, not half a megabyte of axe-core's source
        self.browser_js(
            url,
            AXE_RUN,
            ready=f"document.readyState === 'complete' && (function () {{\n{source}\n"
            "return !!window.axe; })()",
            login=login,
            timeout=120,
        )

    def test_the_reminder_link_fits_the_screen(self):
        self.start_tour(self.case.get_portal_url(), "debtor_care_portal_fits")

    def test_the_logged_in_page_fits_the_screen(self):
        self.start_tour(self.case.access_url, "debtor_care_portal_fits", login="clara_portal")

    def test_the_care_page_has_no_serious_accessibility_violation(self):
        self._axe(self.case.get_portal_url())

    def test_the_plan_page_has_no_serious_accessibility_violation(self):
        self.case.sudo()._portal_propose_plan(2, self.today + timedelta(days=14))
        plan = self.case.agreement_ids[:1]
        self.assertTrue(plan)
        self._axe(plan.get_portal_url())


@tagged("post_install", "-at_install")
class TestPortalOnAPhone(PortalInBrowser, DebtorCareCommon, HttpCase):
    browser_size = "390x844"


@tagged("post_install", "-at_install")
class TestPortalOnADesktop(PortalInBrowser, DebtorCareCommon, HttpCase):
    browser_size = "1400x900"

    def test_a_conversation_round_trip(self):
        """The customer writes on the page, the responsible is told, our answer shows
        on the page; internal notes never do."""
        self.case.message_post(body="INTERNAL-NOTE: hardship details", subtype_xmlid="mail.mt_note")
        self.start_tour(self.case.access_url, "debtor_care_portal_chatter", login="clara_portal")
        message = self.env["mail.message"].search(
            [
                ("model", "=", self.case._name),
                ("res_id", "=", self.case.id),
                ("body", "ilike", "next Friday"),
            ]
        )
        self.assertEqual(message.author_id, self.consumer)
        responsible = self.case.user_id.partner_id
        self.assertTrue(responsible)
        self.assertIn(
            responsible, message.notification_ids.res_partner_id, "the responsible is told"
        )
        self.case.with_user(self.case.user_id).message_post(
            body="Yes, Friday is fine.", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.start_tour(
            self.case.access_url, "debtor_care_portal_chatter_reply", login="clara_portal"
        )
        self.assertIn(
            self.consumer, self.case.message_partner_ids, "replies reach the customer by e-mail"
        )
