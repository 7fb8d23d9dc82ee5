import hashlib
import hmac
import time
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import DebtorCareCommon


def http_csrf(case):
    """A valid CSRF token for the test's session, computed as odoo.http does."""
    secret = case.env["ir.config_parameter"].sudo().get_param("database.secret")
    max_ts = int(time.time() + 3600)
    digest = hmac.new(secret.encode("ascii"), f"{case.session.sid}{max_ts}".encode(), hashlib.sha1)
    return f"{digest.hexdigest()}o{max_ts}"


@tagged("post_install", "-at_install")
class TestPortal(DebtorCareCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = cls.env["res.users"].create(
            {
                "name": "Clara Consumer",
                "login": "clara_portal",
                "password": "clara_portal_pw",
                "partner_id": cls.consumer.id,
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [Command.set([cls.env.ref("base.group_portal").id])],
            }
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Otto Other", "email": "otto@example.com"}
        )

    def setUp(self):
        super().setUp()
        self.today = fields.Date.context_today(self.env["res.partner"])
        self.invoice = self._invoice(self.consumer, 300.0, 12)
        self.other_invoice = self._invoice(self.other_customer, 80.0, 12)
        self._run(self.today)
        self.case = self._case(self.consumer, on=self.today)
        self.other_case = self._case(self.other_customer, on=self.today)

    def test_customer_sees_own_page_only(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        page = self.url_open(f"/my/payment-care/{self.case.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.invoice.name, page.text)
        self.assertNotIn(self.other_invoice.name, page.text)
        self.assertNotIn("hardship_until", page.text)
        forbidden = self.url_open(f"/my/payment-care/{self.other_case.id}", allow_redirects=False)
        self.assertEqual(forbidden.status_code, 303)
        self.assertTrue(forbidden.headers["Location"].endswith("/my"))
        home = self.url_open("/my/payment-care", allow_redirects=False)
        self.assertTrue(home.headers["Location"].endswith(f"/my/payment-care/{self.case.id}"))

    def test_token_link_works_without_account_and_checks_the_token(self):
        url = self.case.get_portal_url()
        self.assertEqual(self.url_open(url).status_code, 200)
        forged = self.url_open(
            f"/my/payment-care/{self.case.id}?access_token=forged", allow_redirects=False
        )
        self.assertEqual(forged.status_code, 303)

    def test_ask_for_time_validates_and_creates_a_promise(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        too_late = (self.today + timedelta(days=90)).isoformat()
        response = self.url_open(
            f"/my/payment-care/{self.case.id}/time",
            data={"date": too_late, "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        self.assertIn("error=", response.headers["Location"])
        self.assertFalse(self.case.promise_ids, "bad input changes nothing")
        good = (self.today + timedelta(days=10)).isoformat()
        response = self.url_open(
            f"/my/payment-care/{self.case.id}/time",
            data={"date": good, "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        self.assertIn("done=time", response.headers["Location"])
        self.case.invalidate_recordset()
        self.assertEqual(self.case.promise_ids.origin, "portal")
        self.assertEqual(self.case.state, "paused")

    def test_cannot_act_on_another_customers_case(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        self.url_open(
            f"/my/payment-care/{self.other_case.id}/situation",
            data={"category": "illness", "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        self.other_case.invalidate_recordset()
        self.assertEqual(self.other_case.state, "open")

    def test_plan_proposed_and_accepted_on_the_portal(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        first = (self.today + timedelta(days=7)).isoformat()
        self.url_open(
            f"/my/payment-care/{self.case.id}/plan",
            data={"count": "3", "first_date": first, "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        agreement = self.case.agreement_ids
        self.assertEqual(agreement.origin, "portal")
        self.assertEqual(agreement.line_ids.mapped("amount"), [100.0, 100.0, 100.0])
        self.url_open(
            f"/my/payment-care/agreement/{agreement.id}/accept",
            data={"name": "", "confirm": "1", "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        self.assertFalse(agreement.accepted_on, "a name is required")
        self.url_open(
            f"/my/payment-care/agreement/{agreement.id}/accept",
            data={"name": "Clara Consumer", "confirm": "1", "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        agreement.invalidate_recordset()
        self.assertEqual(agreement.state, "active")
        self.assertEqual(agreement.acceptance_channel, "portal")
        self.assertTrue(agreement.accepted_ip)

    def test_faq_is_public(self):
        page = self.url_open("/payment-care/faq")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Can I pay in instalments?", page.text)

    def test_tour_ask_for_a_call(self):
        self.start_tour(
            f"/my/payment-care/{self.case.id}", "debtor_care_portal_call", login="clara_portal"
        )
        self.assertTrue(
            self.case.activity_ids.filtered(
                lambda a: a.activity_type_id
                == self.env.ref("debtor_care.mail_activity_type_payment_call")
                and a.date_deadline > self.today
            )
        )

    def _post_action(self, action, data):
        response = self.url_open(
            f"/my/payment-care/{self.case.id}/{action}",
            data={**data, "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        self.case.invalidate_recordset()
        return response.headers["Location"]

    def test_bad_inputs_change_nothing(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        tomorrow = (self.today + timedelta(days=1)).isoformat()
        past = (self.today - timedelta(days=3)).isoformat()
        cases = [
            ("paid", {"date": tomorrow, "amount": "10"}),
            ("paid", {"date": past, "amount": "-5"}),
            ("paid", {"date": past, "amount": "99999999"}),
            ("paid", {"date": "not-a-date", "amount": "10"}),
            (
                "call",
                {
                    "phone": "<script>alert(1)</script>",
                    "day": tomorrow,
                    "hour_from": "9",
                    "hour_to": "12",
                },
            ),
            ("call", {"phone": "030 1234567", "day": past, "hour_from": "9", "hour_to": "12"}),
            ("time", {"date": past}),
            ("plan", {"count": "0", "first_date": tomorrow}),
            ("plan", {"count": "500", "first_date": tomorrow}),
            ("plan", {"count": "3", "first_date": past}),
            ("problem", {"move_id": str(self.other_invoice.id), "reason": "damaged"}),
            ("situation", {"category": "<b>diagnosis</b>"}),
        ]
        for action, data in cases:
            with self.subTest(action=action, data=data):
                location = self._post_action(action, data)
                self.assertIn("error=", location)
                self.assertEqual(self.case.state, "open")
        self.assertFalse(self.case.promise_ids)
        self.assertFalse(self.case.agreement_ids)
        self.assertFalse(self.other_invoice.debtor_care_dispute_state)
        self.assertFalse(self.consumer.sudo().debtor_care_hardship_reason)
        page = self.url_open(f"/my/payment-care/{self.case.id}?error=<script>x</script>")
        self.assertNotIn("<script>x</script>", page.text, "messages are escaped")

    def test_second_customer_cannot_use_the_first_ones_token_or_agreement(self):
        first = (self.today + timedelta(days=7)).isoformat()
        self.authenticate("clara_portal", "clara_portal_pw")
        self._post_action("plan", {"count": "3", "first_date": first})
        agreement = self.case.agreement_ids
        other_user = self.env["res.users"].create(
            {
                "name": "Otto Other",
                "login": "otto_portal",
                "password": "otto_portal_pw",
                "partner_id": self.other_customer.id,
                "groups_id": [Command.set([self.env.ref("base.group_portal").id])],
            }
        )
        self.assertTrue(other_user)
        self.authenticate("otto_portal", "otto_portal_pw")
        response = self.url_open(
            f"/my/payment-care/agreement/{agreement.id}/accept",
            data={"name": "Otto", "confirm": "1", "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        self.assertTrue(response.headers["Location"].endswith("/my"))
        agreement.invalidate_recordset()
        self.assertFalse(agreement.accepted_on)
        wrong_token = self.other_case.sudo()._portal_ensure_token()
        response = self.url_open(
            f"/my/payment-care/{self.case.id}?access_token={wrong_token}", allow_redirects=False
        )
        self.assertEqual(response.status_code, 303, "a token opens only its own case")
