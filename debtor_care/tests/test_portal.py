import hashlib
import hmac
import re
import time
from datetime import timedelta

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tools import format_date

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
        cls.portal_user = cls._portal_user()
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Otto Other", "email": "otto@example.com"}
        )

    def setUp(self):
        super().setUp()
        self._open_two_cases()

    def test_customer_sees_own_page_only(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        page = self.url_open(f"/my/payment-care/{self.case.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.invoice.name, page.text)
        self.assertNotIn(self.other_invoice.name, page.text)
        self.assertNotIn("hardship_until", page.text)
        forbidden = self.url_open(f"/my/payment-care/{self.other_case.id}", allow_redirects=False)
        self.assertEqual(forbidden.status_code, 404)
        self.assertNotIn(self.other_invoice.name, forbidden.text)
        home = self.url_open("/my/payment-care", allow_redirects=False)
        self.assertTrue(home.headers["Location"].endswith(f"/my/payment-care/{self.case.id}"))

    def test_token_link_works_without_account_and_checks_the_token(self):
        url = self.case.get_portal_url()
        self.assertEqual(self.url_open(url).status_code, 200)
        forged = self.url_open(
            f"/my/payment-care/{self.case.id}?access_token=forged", allow_redirects=False
        )
        self.assertEqual(forged.status_code, 404)

    def test_many_open_invoices_come_page_by_page(self):
        invoices = self.invoice | self.env["account.move"].union(
            *(self._invoice(self.consumer, 10.0 + day, day) for day in range(1, 25))
        )
        token = self.case._portal_ensure_token()
        first = self.url_open(self.case.get_portal_url())
        self.assertEqual(first.status_code, 200)
        rows = [move for move in invoices if f"<strong>{move.name}</strong>" in first.text]
        self.assertEqual(len(rows), 20, "20 open invoices per page, the oldest due first")
        self.assertIn(self.invoice.name, [move.name for move in rows])
        self.assertIn(f"/my/payment-care/{self.case.id}/page/2?access_token={token}", first.text)
        # the problem form still offers every open invoice
        for move in invoices:
            self.assertIn(f'<option value="{move.id}">{move.name}</option>', first.text)
        second = self.url_open(f"/my/payment-care/{self.case.id}/page/2?access_token={token}")
        self.assertEqual(second.status_code, 200)
        rest = [move for move in invoices if f"<strong>{move.name}</strong>" in second.text]
        self.assertEqual(len(rest), 5)
        self.assertFalse(set(rows) & set(rest))

    def test_ask_for_time_validates_and_creates_a_promise(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        too_late = (self.today + timedelta(days=90)).isoformat()
        self.assertIn("error=", self._post_action("time", {"date": too_late}))
        self.assertFalse(self.case.promise_ids, "bad input changes nothing")
        good = (self.today + timedelta(days=10)).isoformat()
        self.assertIn("done=time", self._post_action("time", {"date": good}))
        self.assertEqual(self.case.promise_ids.origin, "portal")
        self.assertEqual(self.case.state, "paused")

    def test_the_reason_for_paying_late_comes_with_the_request_and_is_checked(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        page = self.url_open(f"/my/payment-care/{self.case.id}").text
        self.assertIn("Why is the payment late? (optional)", page)
        self.assertIn('<option value="bank_change">I changed banks</option>', page)
        good = (self.today + timedelta(days=10)).isoformat()
        refused = self._post_action("time", {"date": good, "late_reason": "my_boss"})
        self.assertIn("error=", refused)
        self.case.invalidate_recordset()
        self.assertFalse(self.case.promise_ids, "a bad reason changes nothing")
        self.assertFalse(self.case.late_reason)
        self.assertIn(
            "done=time", self._post_action("time", {"date": good, "late_reason": "forgot"})
        )
        self.case.invalidate_recordset()
        self.assertEqual(self.case.late_reason, "forgot")
        self.assertEqual(len(self.case.promise_ids), 1)
        # without a reason, the request goes through and the reason told before stays
        later = (self.today + timedelta(days=12)).isoformat()
        self.assertIn("done=time", self._post_action("time", {"date": later, "late_reason": ""}))
        self.case.invalidate_recordset()
        self.assertEqual(self.case.late_reason, "forgot")

    def test_cannot_act_on_another_customers_case(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        response = self.url_open(
            f"/my/payment-care/{self.other_case.id}/situation",
            data={"category": "illness", "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        self.assertEqual(response.status_code, 404)
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

    def _post_action(self, action, data, case=None):
        """Post a form of the care page and follow the redirect as a browser does;
        returns what the page then says: "done=<action>" or "error=<message>" (the
        outcome travels in the session, never in the URL). The page is in last_page."""
        case = case or self.case
        response = self.url_open(
            f"/my/payment-care/{case.id}/{action}",
            data={**data, "csrf_token": http_csrf(self)},
            allow_redirects=False,
        )
        case.invalidate_recordset()
        location = response.headers.get("Location", "")
        self.assertNotIn("error=", location, "no message travels in the URL")
        self.last_page = self.url_open(location).text if location else response.text
        return self._page_outcome(self.last_page)

    @staticmethod
    def _page_outcome(page):
        done = re.search(r'data-done="(\w+)"', page)
        if done:
            return f"done={done.group(1)}"
        error = re.search(r'class="[^"]*o_debtor_care_error[^"]*"[^>]*>([^<]*)<', page)
        return f"error={error.group(1).strip()}" if error else ""

    def test_bad_inputs_change_nothing(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        tomorrow = (self.today + timedelta(days=1)).isoformat()
        past = (self.today - timedelta(days=3)).isoformat()
        cases = [
            ("paid", {"date": tomorrow, "amount": "10"}),
            ("paid", {"date": past, "amount": "-5"}),
            ("paid", {"date": past, "amount": "99999999"}),
            ("paid", {"date": "not-a-date", "amount": "10"}),
            ("paid", {"date": past, "amount": "nan"}),
            ("plan", {"count": "3", "first_date": "9999-12-31"}),
            ("plan", {"count": "1e400", "first_date": tomorrow}),
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
        page = self.url_open(f"/my/payment-care/{self.case.id}?error=Pay+to+IBAN+XX00")
        self.assertNotIn("IBAN XX00", page.text, "no words from the URL on our page")
        self.assertNotIn("alert-danger", page.text)

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
        self.assertEqual(response.status_code, 404)
        agreement.invalidate_recordset()
        self.assertFalse(agreement.accepted_on)
        wrong_token = self.other_case.sudo()._portal_ensure_token()
        response = self.url_open(
            f"/my/payment-care/{self.case.id}?access_token={wrong_token}", allow_redirects=False
        )
        self.assertEqual(response.status_code, 404, "a token opens only its own case")
        preview = self._preview({"count": 3, "first_date": first}, case=self.case)
        self.assertEqual(preview["error"]["code"], 404, "nor the plan preview")
        for url in (
            f"/my/payment-care/agreement/{agreement.id}",
            f"/my/payment-care/agreement/{agreement.id}?report_type=pdf",
            f"/my/payment-care/agreement/{agreement.id}?report_type=pdf&access_token={wrong_token}",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url, allow_redirects=False).status_code, 404)
        own_link = self.url_open(agreement.get_portal_url())
        self.assertIn(agreement.name, own_link.text, "the first customer's e-mail link still works")

    def _preview(self, params, case=None):
        case = case or self.case
        response = self.opener.post(
            f"{self.base_url()}/my/payment-care/{case.id}/plan/preview",
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=30,
        )
        return response.json()

    def test_plan_preview_shows_the_schedule_or_the_limit(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        first = self.today + timedelta(days=7)
        result = self._preview({"count": 3, "first_date": first.isoformat()})["result"]
        self.assertEqual(len(result["lines"]), 3)
        self.assertIn("100.00", result["lines"][2]["amount"])
        self.assertIn(str(first.year), result["lines"][0]["date"])
        for bad in (
            {"count": 500, "first_date": first.isoformat()},
            {"count": 0, "first_date": first.isoformat()},
            {"count": "three", "first_date": first.isoformat()},
            {"count": 3, "first_date": (self.today - timedelta(days=1)).isoformat()},
            {"count": 3, "first_date": "<script>"},
            {"count": 3, "first_date": "9999-12-31"},
            {"count": [3], "first_date": first.isoformat()},
        ):
            with self.subTest(params=bad):
                self.assertTrue(self._preview(bad)["result"]["error"])
        self.assertFalse(self.case.agreement_ids, "a preview creates nothing")

    def test_plan_preview_with_the_reminder_token(self):
        token = self.case.sudo()._portal_ensure_token()
        first = (self.today + timedelta(days=7)).isoformat()
        result = self._preview({"count": 2, "first_date": first, "access_token": token})
        self.assertEqual(len(result["result"]["lines"]), 2)
        forged = self._preview({"count": 2, "first_date": first, "access_token": "forged"})
        self.assertEqual(forged["error"]["code"], 404)

    def test_core_overdue_page_and_home_offer_payment_care(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        overdue = self.url_open("/my/invoices/overdue")
        self.assertEqual(overdue.status_code, 200)
        self.assertIn(f"/my/payment-care/{self.case.id}", overdue.text)
        self.assertIn("o_debtor_care_overdue_offer", overdue.text)
        home = self.url_open("/my")
        self.assertIn("o_debtor_care_entry_options", home.text)
        page = self.url_open(f"/my/payment-care/{self.case.id}")
        self.assertIn('href="/my/invoices/overdue"', page.text, "pay everything at once")
        self.authenticate(None, None)
        token_page = self.url_open(self.case.get_portal_url())
        self.assertEqual(token_page.status_code, 200)
        self.assertNotIn("o_debtor_care_pay_all", token_page.text, "needs an account")

    def test_portal_cannot_accept_a_plan_waiting_for_review(self):
        self.company.debtor_care_auto_approve_plans = False
        self.authenticate("clara_portal", "clara_portal_pw")
        first = (self.today + timedelta(days=7)).isoformat()
        self._post_action("plan", {"count": "3", "first_date": first})
        agreement = self.case.agreement_ids
        self.assertEqual(agreement.state, "draft")
        page = self.url_open(f"/my/payment-care/{self.case.id}")
        self.assertIn("We are looking at your proposal", page.text)
        response = self.url_open(
            f"/my/payment-care/agreement/{agreement.id}/accept",
            data={"name": "Clara Consumer", "confirm": "1", "csrf_token": http_csrf(self)},
        )
        self.assertIn("This plan cannot be accepted (any more).", response.text)
        agreement.invalidate_recordset()
        self.assertEqual(agreement.state, "draft")
        self.assertFalse(agreement.accepted_on)

    def test_tour_reminder_link_plan_accept_and_pdf(self):
        self.start_tour(self.case.get_portal_url(), "debtor_care_portal_plan")
        agreement = self.case.agreement_ids
        self.assertEqual(agreement.state, "active")
        self.assertEqual(agreement.accepted_by, "Clara Consumer")
        self.assertEqual(agreement.acceptance_channel, "portal")
        self.assertEqual(agreement.line_ids.mapped("amount"), [100.0, 100.0, 100.0])

    def test_tour_call_back_request_reaches_the_rep(self):
        self.case.user_id = self.rep
        self.rep.password = "rita_rep"
        self.start_tour(
            f"/my/payment-care/{self.case.id}", "debtor_care_portal_call", login="clara_portal"
        )
        self.start_tour("/odoo", "debtor_care_rep_sees_call_task", login="rita_rep")
        call = self.env["debtor.care.call"].search([("case_id", "=", self.case.id)])
        self.assertEqual(call.result, "no_answer", "Mark Done asked how the call went")
        done = self.case.message_ids.filtered(lambda m: "Payment care call" in (m.body or ""))
        self.assertNotIn("What is open", " ".join(done.mapped("body")), "no script copy")

    def test_paid_problem_and_situation_from_the_page(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        yesterday = (self.today - timedelta(days=1)).isoformat()
        location = self._post_action(
            "paid", {"date": yesterday, "amount": "300", "reference": "TX1"}
        )
        self.assertIn("done=paid", location)
        self.assertEqual(self.case.pause_reason, "check_payment")
        self.assertIn("Customer says paid", self.case.activity_ids.mapped("summary")[0])
        # marked "payment reported" until an accountant has checked it
        self.assertEqual(
            (self.case.payment_reported_on.isoformat(), self.case.payment_reported_amount),
            (yesterday, 300.0),
        )
        self.assertIn("Payment you reported:", self.last_page)
        self.case.activity_ids.filtered(lambda a: "Customer says paid" in a.summary).action_done()
        self.assertFalse(self.case.payment_reported_on, "checked: the mark is gone")
        location = self._post_action(
            "problem",
            {"move_id": str(self.invoice.id), "reason": "damaged", "message": "<b>broken</b>"},
        )
        self.assertIn("done=problem", location)
        self.assertEqual(self.invoice.debtor_care_dispute_state, "open")
        location = self._post_action("situation", {"category": "illness"})
        self.assertIn("done=situation", location)
        self.assertEqual(self.consumer.sudo().debtor_care_hardship_reason, "illness")
        page = self.last_page
        self.assertIn("We have paused the reminders and will call you on", page)
        self.assertNotIn("Illness", page.split("o_debtor_care_form_situation")[0])
        self.assertNotIn("<b>broken</b>", page)

    def test_plan_form_starts_on_a_valid_plan_for_a_small_debt(self):
        """80.00 overdue: three instalments of 26.67 are fine at a 25.00 minimum, at a
        30.00 minimum the form opens on two, at 50.00 on one: never on an error."""
        case = self.other_case.sudo().with_context(debtor_care_today=self.today)
        first = self.today + timedelta(days=14)
        for minimum, expected in ((25.0, 3), (30.0, 2), (50.0, 1)):
            with self.subTest(minimum=minimum):
                self.company.debtor_care_min_installment = minimum
                self.assertEqual(case._portal_default_plan_count(first), expected)
        self.company.debtor_care_min_installment = 30.0
        page = self.url_open(case.get_portal_url()).text
        self.assertIn('value="2"', page.split('id="plan_count"')[1][:200])

    def test_an_error_shows_next_to_its_field_and_keeps_the_input(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        past = (self.today - timedelta(days=3)).isoformat()
        outcome = self._post_action("paid", {"date": past, "amount": "-5", "reference": "TX9"})
        self.assertEqual(outcome, "error=Please give the amount you paid.")
        page = self.last_page
        self.assertIn('id="dc_paid_amount_error"', page, "the message sits under the amount")
        amount = re.search(r'<input[^>]*id="dc_paid_amount"[^>]*>', page).group(0)
        self.assertIn('aria-invalid="true"', amount)
        self.assertIn('value="-5"', amount, "what the customer typed stays")
        reference = re.search(r'<input[^>]*id="dc_paid_reference"[^>]*>', page).group(0)
        self.assertIn('value="TX9"', reference)
        date = re.search(r'<input[^>]*id="dc_paid_date"[^>]*>', page).group(0)
        self.assertIn(f'value="{past}"', date)
        # the other forms are untouched
        self.assertNotIn("aria-invalid", page.split("o_debtor_care_form_problem")[1])

    def test_the_thank_you_confirms_what_was_asked(self):
        self.authenticate("clara_portal", "clara_portal_pw")
        # a Saturday becomes the next working day, and the page says so
        day = self.today + timedelta(days=(5 - self.today.weekday()) % 7 or 7)
        self._post_action(
            "call",
            {"phone": "+49 30 7654321", "day": day.isoformat(), "hour_from": "10", "hour_to": "13"},
        )
        task = self.case.activity_ids.filtered(lambda a: "call" in (a.summary or "").lower())
        self.assertEqual(task.date_deadline.weekday(), 0, "planned on the Monday")
        done = re.search(r'o_debtor_care_done"[^>]*>(.*?)</div>', self.last_page, re.S).group(1)
        self.assertIn("we will call you at +49 30 7654321", done)
        self.assertIn("between 10:00 and 13:00", done)
        self.assertIn(f"on {format_date(self.env, task.date_deadline)}", done)
        # a plan replaces the request for time, and says when we answer
        self.company.debtor_care_auto_approve_plans = False
        self._post_action("time", {"date": (self.today + timedelta(days=10)).isoformat()})
        self.assertEqual(self.case.promise_ids.state, "pending")
        first = (self.today + timedelta(days=14)).isoformat()
        self.assertEqual(
            self._post_action("plan", {"count": "2", "first_date": first}), "done=plan"
        )
        self.assertEqual(self.case.promise_ids.state, "cancelled", "the plan supersedes it")
        review = self.case.activity_ids.filtered(lambda a: "Review the payment plan" in a.summary)
        done = re.search(r'o_debtor_care_done"[^>]*>(.*?)</div>', self.last_page, re.S).group(1)
        self.assertIn("2 instalments", done)
        self.assertIn("will answer by", done)
        self.assertLessEqual(review.date_deadline, self.today + timedelta(days=5))

    def test_a_token_link_speaks_the_customers_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"].search([("name", "=", "debtor_care")])._update_translations(
            "de_DE"
        )
        self.consumer.lang = "de_DE"
        page = self.url_open(self.case.get_portal_url()).text
        self.assertIn('<html lang="de-DE"', page)
        self.assertIn("Ihre offenen Rechnungen", page)
        # an English customer reads English, whatever the browser said before
        self.other_customer.lang = "en_US"
        self.opener.cookies.set("frontend_lang", "de_DE")
        page = self.url_open(self.other_case.get_portal_url()).text
        self.assertIn('<html lang="en-US"', page)
        self.assertIn("Your open invoices with", page)

    def _chatter_post(self, case, body, token=None):
        params = {
            "thread_model": case._name,
            "thread_id": case.id,
            # what the portal composer sends
            "post_data": {
                "body": body,
                "message_type": "comment",
                "subtype_xmlid": "mail.mt_comment",
            },
        }
        if token:
            params["token"] = token
        try:
            self.make_jsonrpc_request("/mail/message/post", params)
        except Exception as refused:  # NotFound / AccessError travel as errors
            self.assertTrue(str(refused))
        return self.env["mail.message"].search(
            [("model", "=", case._name), ("res_id", "=", case.id), ("body", "ilike", body)]
        )

    def test_only_the_customer_writes_on_the_cases_conversation(self):
        self.assertFalse(self._chatter_post(self.case, "anonymous-no-token"))
        self.assertFalse(
            self._chatter_post(self.case, "foreign-token", self.other_case.access_token)
        )
        message = self._chatter_post(self.case, "with-the-reminder-link", self.case.access_token)
        self.assertEqual(message.author_id, self.consumer, "posted as the case's customer")
        self.authenticate("clara_portal", "clara_portal_pw")
        self.assertFalse(self._chatter_post(self.other_case, "on-another-customers-case"))
        message = self._chatter_post(self.case, "logged-in-customer")
        self.assertEqual(message.author_id, self.consumer)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
