from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, tagged

from ..models import clock
from .common import DebtorCareCommon
from .test_portal import http_csrf

DENIED = UserError  # AccessError and ValidationError are UserErrors


@tagged("post_install", "-at_install")
class TestAccessMatrix(DebtorCareCommon, HttpCase):
    """Who may do what, asserted on the server (README, "Access model"): every model x
    role x operation, the public methods x role, the portal routes x visitor, and each
    finding of the access review on its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        group = cls.env.ref

        def user(login, groups, partner=None):
            return cls.env["res.users"].create(
                {
                    "name": login.title(),
                    "login": login,
                    "password": f"{login}_pw_123",
                    "email": f"{login}@example.com",
                    "company_id": cls.company.id,
                    "company_ids": [Command.set(cls.company.ids)],
                    "groups_id": [Command.set([group(g).id for g in groups])],
                    **({"partner_id": partner.id} if partner else {}),
                }
            )

        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Otto Other", "email": "otto@example.com"}
        )
        cls.users = {
            "portal": user("clara_p", ["base.group_portal"], cls.consumer),
            "other_portal": user("otto_p", ["base.group_portal"], cls.other_customer),
            "rep": cls.rep,
            "manager": user("mia_manager", ["debtor_care.group_debtor_care_manager"]),
            "auditor": user("aldo_auditor", ["base.group_user", "account.group_account_readonly"]),
        }
        cls.rep.password = "rita_rep_pw_123"

    def setUp(self):
        super().setUp()
        self._open_two_cases()

    def as_(self, role, records):
        return records.with_user(self.users[role])

    def _agreement(self, case, moves, state="draft"):
        agreement = (
            self.env["debtor.care.agreement"]
            .sudo()
            .create(
                {
                    "partner_id": case.partner_id.id,
                    "case_id": case.id,
                    "move_ids": [Command.set(moves.ids)],
                    "installment_count": 2,
                    "first_date": self.today + timedelta(days=7),
                }
            )
        )
        agreement.action_generate_schedule()
        if state == "active":
            agreement._accept("phone", "Clara Consumer", "phone")
        return agreement

    # ------------------------------------------------------------------ model x role x CRUD
    def test_model_access_per_role(self):
        """r/w/c/u per model and role, as the ACL file grants them."""
        expected = {
            "debtor.care.case": {
                "portal": "r",
                "rep": "rw",
                "manager": "rwc",
                "auditor": "",
            },
            "debtor.care.agreement": {"portal": "r", "rep": "rwc", "manager": "rwc", "auditor": ""},
            "debtor.care.agreement.line": {
                "portal": "r",
                "rep": "rwcu",
                "manager": "rwcu",
                "auditor": "",
            },
            "debtor.care.promise": {"portal": "r", "rep": "rwc", "manager": "rwc", "auditor": ""},
            "debtor.care.call": {"portal": "", "rep": "rc", "manager": "rc", "auditor": ""},
            "debtor.care.dunning": {"portal": "", "rep": "r", "manager": "r", "auditor": ""},
            "debtor.care.policy": {"portal": "", "rep": "r", "manager": "rwcu", "auditor": ""},
            "debtor.care.run": {"portal": "", "rep": "r", "manager": "r", "auditor": ""},
            "debtor.care.experiment": {"portal": "", "rep": "r", "manager": "rwcu", "auditor": ""},
            "debtor.care.case.outcome": {"portal": "", "rep": "r", "manager": "r", "auditor": ""},
            "debtor.care.call.report": {"portal": "", "rep": "r", "manager": "r", "auditor": ""},
        }
        operations = {"r": "read", "w": "write", "c": "create", "u": "unlink"}
        for model, roles in expected.items():
            for role, allowed in roles.items():
                for letter, operation in operations.items():
                    with self.subTest(model=model, role=role, operation=operation):
                        granted = self.as_(role, self.env[model]).has_access(operation)
                        self.assertEqual(granted, letter in allowed)

    def test_portal_reads_only_its_own_records(self):
        mine = self._agreement(self.case, self.invoice)
        theirs = self._agreement(self.other_case, self.other_invoice)
        for model, own, foreign in (
            ("debtor.care.case", self.case, self.other_case),
            ("debtor.care.agreement", mine, theirs),
            ("debtor.care.agreement.line", mine.line_ids, theirs.line_ids),
        ):
            with self.subTest(model=model):
                seen = self.as_("portal", self.env[model]).search([])
                self.assertEqual(seen, own, "finding 4: no other customer's records")
                with self.assertRaises(AccessError):
                    self.as_("portal", foreign).check_access("read")

    # ------------------------------------------------------------------ fields and states
    def test_engine_fields_are_refused_to_users_over_rpc(self):
        """Finding 2: readonly in the view is not protection."""
        level = self.case.policy_id._get_levels()[-1]
        attempts = {
            "approved_level_id": level.id,
            "hardship_call_pending": True,
            "amount_overdue": 1.0,
            "level_id": level.id,
            "state": "resolved",
            "resolution": "paid",
            "partner_id": self.other_customer.id,
            "company_id": self.company.id,
            "next_action_date": self.today,
            "access_token": "chosen",
        }
        before = self.case.read(list(attempts))[0]
        for role in ("rep", "manager"):
            for name, value in attempts.items():
                with self.subTest(role=role, field=name), self.assertRaises(AccessError):
                    self.as_(role, self.case).write({name: value})
        self.case.invalidate_recordset()
        self.assertEqual(self.case.read(list(attempts))[0], before, "nothing changed")
        with self.assertRaises(AccessError):
            self.as_("rep", self.case).write({"policy_id": self.business_policy.id})
        self.as_("manager", self.case).write({"policy_id": self.business_policy.id})
        self.as_("rep", self.case).write({"user_id": self.users["manager"].id})
        self.assertEqual(self.case.user_id, self.users["manager"], "the responsible is the team's")

    def test_public_methods_check_the_role_first(self):
        """Each public method x role: allowed, or refused with nothing changed."""
        self.case.sudo()._pause(self.today + timedelta(days=20), "hardship")
        checks = [
            ("rep", self.case, "action_cancel", False),
            ("rep", self.case, "action_approve_step", False),
            ("rep", self.case, "action_resume", False),  # a hardship pause
            ("auditor", self.case, "action_run_now", False),
            ("portal", self.case, "action_run_now", False),
            ("manager", self.case, "action_resume", True),
            ("rep", self.case, "action_run_now", True),
            ("manager", self.case, "action_cancel", True),
        ]
        for role, record, method, allowed in checks:
            record.invalidate_recordset()
            state = record.sudo().state
            with self.subTest(role=role, method=method):
                if allowed:
                    getattr(self.as_(role, record), method)()
                else:
                    with self.assertRaises(DENIED):
                        getattr(self.as_(role, record), method)()
                    record.invalidate_recordset()
                    self.assertEqual(record.sudo().state, state, "nothing changed")
        self.assertEqual(self.case.state, "cancelled")

    def test_portal_user_cannot_start_the_engine(self):
        """Finding 5."""
        self.case.sudo().write({"last_run_date": False, "next_action_date": False})
        before = len(self.case.dunning_ids)
        for role, partner in (("portal", self.consumer), ("auditor", self.other_customer)):
            with self.subTest(role=role), self.assertRaises(AccessError):
                self.as_(role, partner).action_debtor_care_run_now()
        self.case.invalidate_recordset()
        self.assertEqual(len(self.case.dunning_ids), before)
        self.assertFalse(self.case.last_run_date, "the engine did not run")

    def test_agreements_cannot_be_forged(self):
        """Finding 3: foreign invoices, self-made acceptance, edited active schedules."""
        Agreement = self.as_("rep", self.env["debtor.care.agreement"])
        with self.assertRaises(ValidationError):
            Agreement.create(
                {
                    "partner_id": self.consumer.id,
                    "case_id": self.case.id,
                    "move_ids": [Command.set(self.other_invoice.ids)],
                    "first_date": self.today + timedelta(days=7),
                }
            )
        draft = Agreement.create(
            {
                "partner_id": self.consumer.id,
                "case_id": self.case.id,
                "move_ids": [Command.set(self.invoice.ids)],
                "first_date": self.today + timedelta(days=7),
            }
        )
        for values in (
            {"state": "active"},
            {"accepted_by": "Clara", "acceptance_channel": "portal"},
            {"accepted_on": fields.Datetime.now(), "accepted_ip": "1.2.3.4"},
        ):
            with self.subTest(values=values), self.assertRaises(AccessError):
                draft.write(values)
        self.assertEqual(draft.state, "draft")
        draft.action_cancel()  # a rep withdraws a draft
        active = self._agreement(self.case, self.invoice, state="active")
        line = self.as_("rep", active.line_ids[0])
        attempts = (
            lambda: line.write({"amount": 0.01}),
            lambda: line.write({"state": "paid"}),
            lambda: line.unlink(),
            lambda: self.as_("rep", self.env["debtor.care.agreement.line"]).create(
                {"agreement_id": active.id, "date_due": self.today, "amount": 1.0}
            ),
            lambda: self.as_("rep", active).write({"state": "completed"}),
            lambda: self.as_("rep", active).write({"state": "draft"}),
            lambda: self.as_("rep", active).action_cancel(),
        )
        amounts = active.line_ids.mapped("amount")
        for attempt in attempts:
            with self.assertRaises(DENIED):
                attempt()
        active.invalidate_recordset()
        self.assertEqual((active.state, active.line_ids.mapped("amount")), ("active", amounts))

    def test_one_binding_agreement_per_invoice_and_no_pause_before_acceptance(self):
        """Finding 7."""
        first = self._agreement(self.case, self.invoice)
        first.sudo().state = "proposed"
        second = self._agreement(self.case, self.invoice)
        with self.assertRaises(ValidationError):
            second.sudo().state = "proposed"
        (first | second).sudo().action_cancel()
        # a plan the customer proposes pauses dunning only while it is reviewed
        self.case.sudo().with_context(debtor_care_today=self.today)._portal_propose_plan(
            2, self.today + timedelta(days=60)
        )
        self.assertEqual(self.case.pause_reason, "plan_review", "a proposal is not an agreement")
        self.assertLessEqual(self.case.pause_until, self.today + timedelta(days=7))

    def test_call_wizard_closes_only_the_cases_call_task(self):
        """Finding 6."""
        todo = self.other_case.activity_schedule(
            "mail.mail_activity_data_todo", summary="private", user_id=self.users["manager"].id
        )
        wizard = self.as_("rep", self.env["debtor.care.call.wizard"]).create(
            {"case_id": self.case.id, "activity_id": todo.id, "result": "no_answer"}
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertTrue(todo.exists(), "the foreign to-do stays open")
        self.assertFalse(self.case.call_ids)

    def test_hardship_category_is_for_managers_only(self):
        """Finding 9: a rep's hardship call asks a manager; the category leaks nowhere."""
        wizard = self.as_("rep", self.env["debtor.care.call.wizard"]).create(
            {"case_id": self.case.id, "result": "reached", "outcome": "hardship"}
        )
        with self.assertRaises(AccessError):
            wizard.write({"hardship_reason": "illness"})
        wizard.action_confirm()
        self.assertFalse(self.consumer.sudo().debtor_care_hardship_reason)
        self.assertEqual(self.case.pause_reason, "manual")
        self.assertIn("Record a hardship", " ".join(self.case.activity_ids.mapped("summary")))
        reasons = dict(self.env["debtor.care.call"]._fields["reason"].selection)
        self.assertNotIn("illness", reasons)
        self.assertNotIn("job_loss", reasons)

    def test_customer_text_reaches_html_escaped(self):
        """Finding 8."""
        case = self.case.sudo().with_context(debtor_care_today=self.today)
        case._portal_report_paid(self.today, 10.0, '<img src="https://evil.example/x.png">')
        case._portal_report_problem(self.invoice.sudo(), "other", "<a href='https://x'>click</a>")
        notes = " ".join(
            (self.case.activity_ids | self.invoice.activity_ids).mapped(lambda a: a.note or "")
        )
        self.assertNotIn("<img", notes)
        self.assertNotIn("<a ", notes, "no live links either")
        self.assertIn("&lt;img", notes)

    def test_repeated_claims_update_one_request_and_are_limited(self):
        """Finding 12."""
        case = self.case.sudo().with_context(debtor_care_today=self.today)
        for _repeat in range(9):
            case._portal_report_paid(self.today, 10.0, "TX")
        checks = self.case.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("debtor_care.mail_activity_type_check_payment")
        )
        self.assertEqual(len(checks), 1, "one open check, updated")
        case._portal_report_paid(self.today, 10.0, "TX")
        with self.assertRaises(UserError):
            case._portal_report_paid(self.today, 10.0, "TX")

    # ------------------------------------------------------------------ routes x visitor
    def _visit(self, visitor, url, data=None):
        """GET or POST as a visitor: owner, other customer, internal user, anonymous."""
        logins = {
            "owner": "clara_p",
            "other": "otto_p",
            "internal": "rita_rep",
            "anonymous": None,
        }
        login = logins[visitor]
        self.authenticate(login, f"{login}_pw_123" if login else None)
        if data is not None:
            data = {**data, "csrf_token": http_csrf(self)}
        return self.url_open(url, data=data, allow_redirects=False)

    def test_routes_per_visitor(self):
        """Each route x visitor (with none, its own or a foreign token)."""
        token = self.case.sudo()._portal_ensure_token()
        foreign = self.other_case.sudo()._portal_ensure_token()
        page = f"/my/payment-care/{self.case.id}"
        action = f"{page}/situation"
        expected = [
            ("owner", page, None, 200),
            ("other", page, None, 404),
            ("internal", page, None, 303),
            ("anonymous", page, None, 404),
            ("anonymous", f"{page}?access_token={token}", None, 200),
            ("anonymous", f"{page}?access_token={foreign}", None, 404),
            ("other", action, {"category": "illness"}, 404),
            ("internal", action, {"category": "illness"}, 303),
            ("anonymous", f"{action}?access_token={foreign}", {"category": "illness"}, 404),
        ]
        for visitor, url, data, status in expected:
            with self.subTest(visitor=visitor, url=url, post=bool(data)):
                response = self._visit(visitor, url, data)
                self.assertEqual(response.status_code, status)
                if status == 303:
                    self.assertIn(
                        f"/odoo/debtor.care.case/{self.case.id}", response.headers["Location"]
                    )
        self.case.invalidate_recordset()
        self.assertEqual(self.case.state, "open", "nobody but the customer acted")
        self.assertFalse(self.consumer.sudo().debtor_care_hardship_reason)

    def test_autopay_routes_per_visitor(self):
        """Consent and withdrawal of automatic payment: the owner (or the plan's token)
        only; another customer, a stranger or a foreign token get a 404, an employee the
        back office, and nothing changes."""
        agreement = self._agreement(self.case, self.invoice, state="active")
        other = self._agreement(self.other_case, self.other_invoice, state="active")
        foreign = other.sudo()._portal_ensure_token()
        url = f"/my/payment-care/agreement/{agreement.id}/autopay"
        data = {"token_id": "1", "name": "Clara", "confirm": "1"}
        for visitor, target, status in [
            ("other", url, 404),
            ("other", f"{url}/withdraw", 404),
            ("anonymous", url, 404),
            ("anonymous", f"{url}?access_token={foreign}", 404),
            ("internal", url, 303),
            ("owner", f"{url}/elsewhere", 404),
        ]:
            with self.subTest(visitor=visitor, url=target):
                self.assertEqual(self._visit(visitor, target, data).status_code, status)
        agreement.invalidate_recordset()
        self.assertFalse(agreement.autopay_state)

    def test_internal_user_cannot_accept_for_the_customer(self):
        """Finding 1."""
        agreement = self._agreement(self.case, self.invoice)
        agreement.sudo().state = "proposed"
        response = self._visit(
            "internal",
            f"/my/payment-care/agreement/{agreement.id}/accept",
            {"name": "Clara Consumer", "confirm": "1"},
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("/odoo/debtor.care.agreement/", response.headers["Location"])
        agreement.invalidate_recordset()
        self.assertEqual(agreement.state, "proposed")
        for path in ("problem", "situation"):
            self._visit(
                "internal",
                f"/my/payment-care/{self.case.id}/{path}",
                {"category": "illness", "move_id": str(self.invoice.id), "reason": "other"},
            )
        self.assertFalse(self.invoice.debtor_care_dispute_state)
        self.assertFalse(self.consumer.sudo().debtor_care_hardship_reason)

    def test_a_closed_cases_link_shows_nothing_open(self):
        """Finding 10: the token rotates with the case's end."""
        url = self.case.get_portal_url()
        self.assertEqual(self._visit("anonymous", url).status_code, 200)
        self.case.with_user(self.users["manager"]).action_cancel()
        page = self._visit("anonymous", url)
        self.assertEqual(page.status_code, 404)
        self.assertIn("Nothing open here", page.text)
        late = self._visit(
            "anonymous",
            url.replace(f"/{self.case.id}?", f"/{self.case.id}/situation?"),
            {"category": "illness"},
        )
        self.assertEqual(late.status_code, 404)
        self.assertFalse(self.consumer.sudo().debtor_care_hardship_reason)

    def test_a_client_cannot_move_the_engines_clock(self):
        """The `debtor_care_today` context key pins the date for tests and benchmarks
        only: a user's RPC call with it runs on the real today."""
        ahead = self.today + timedelta(days=400)
        case = self.as_("rep", self.case).with_context(debtor_care_today=ahead)
        with patch.object(clock, "_testing", return_value=False):
            self.assertEqual(case._today(), self.today)
            self.assertEqual(case.sudo()._today(), self.today, "sudo keeps the user")
            root = self.case.with_user(self.env.ref("base.user_root"))
            self.assertEqual(root.with_context(debtor_care_today=ahead)._today(), ahead)

    def test_back_office_forms_create_and_copy_agreements(self):
        """Engine-owned fields are readonly in the model: a form never sends them, so a
        rep creates and duplicates plans as before (review finding)."""
        with Form(self.as_("rep", self.env["debtor.care.agreement"])) as form:
            form.partner_id = self.consumer
            form.move_ids.add(self.invoice)
            form.first_date = self.today + timedelta(days=7)
        draft = form.record
        self.assertEqual((draft.state, draft.origin), ("draft", "backoffice"))
        active = self._agreement(self.case, self.invoice, state="active")
        copy = self.as_("rep", active).copy()
        self.assertEqual(copy.state, "draft")
        self.assertEqual(set(copy.line_ids.mapped("state")), {"open"})
        self.assertFalse(any(copy.line_ids.mapped("amount_paid")))

    def test_run_now_stays_in_companies_with_payment_care(self):
        self.company.debtor_care_enabled = False
        newcomer = self.env["res.partner"].create({"name": "New Late", "email": "n@x.example"})
        self._invoice(newcomer, 50.0, 12)
        self.as_("rep", newcomer).action_debtor_care_run_now()
        self.assertFalse(self.Case.search([("partner_id", "=", newcomer.id)]))

    def test_only_a_manager_changes_a_hardship_pause(self):
        self.case.sudo()._set_hardship(self.today + timedelta(days=30), "illness")
        wizard = self.as_("rep", self.env["debtor.care.pause.wizard"]).create(
            {
                "case_ids": [Command.set(self.case.ids)],
                "reason": "time",
                "date_until": self.today + timedelta(days=3),
            }
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        case = self.case.sudo().with_context(debtor_care_today=self.today)
        case._portal_report_paid(self.today, 10.0, "TX")
        self.assertEqual(
            (self.case.pause_reason, self.case.pause_until),
            ("hardship", self.today + timedelta(days=30)),
            "a customer's later request never replaces the hardship pause",
        )

    def test_a_refusal_names_the_fields_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        rep = self.as_("rep", self.case).with_context(lang="de_DE")
        with self.assertRaisesRegex(AccessError, "Status"):
            rep.write({"state": "resolved"})
