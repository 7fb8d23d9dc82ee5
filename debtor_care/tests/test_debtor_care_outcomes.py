from datetime import timedelta

from odoo import Command, fields
from odoo.tests import freeze_time, tagged

from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestDebtorCareOutcomes(DebtorCareCommon):
    """The mission's claims as figures on the shop's own data, each on a hand-made book
    whose expected figures are written here: days to cure by first contact, cost per
    case, payment behaviour after care, contact-to-agreement per responsible, reasons."""

    def _partner(self, name):
        return self.env["res.partner"].create({"name": name, "email": f"{name}@x.example"})

    def _closed_case(self, partner, opened, resolved, resolution="paid"):
        return self.Case.sudo().create(
            {
                "partner_id": partner.id,
                "company_id": self.company.id,
                "state": "resolved",
                "resolution": resolution,
                "date_opened": self.today - timedelta(days=opened),
                "date_resolved": self.today - timedelta(days=resolved),
            }
        )

    def _step(self, case, days_after_opening=0, **vals):
        return (
            self.env["debtor.care.dunning"]
            .sudo()
            .create(
                {
                    "case_id": case.id,
                    "state": "done",
                    "date": case.date_opened + timedelta(days=days_after_opening),
                    **vals,
                }
            )
        )

    def _call(self, case, on, result="reached", outcome="none", user=None, reason=False):
        return (
            self.env["debtor.care.call"]
            .with_user(user or self.env.user)
            .create(
                {
                    "case_id": case.id,
                    "result": result,
                    "outcome": outcome,
                    "reason": reason,
                    "date": fields.Datetime.to_datetime(on),
                }
            )
        )

    def _outcome_of(self, case):
        self.env.flush_all()
        return self.env["debtor.care.case.outcome"].search([("case_id", "=", case.id)])

    def test_days_to_cure_by_first_contact_and_tone(self):
        # written first: paid after 20 and 30 days; call first: after 6 (a rep called
        # before any reminder) and 10 days (the first step planned a call)
        e1 = self._closed_case(self._partner("e1"), opened=60, resolved=40)
        self._step(e1, tone="gentle", action_email=True)
        self._call(e1, e1.date_opened + timedelta(days=5))
        e2 = self._closed_case(self._partner("e2"), opened=70, resolved=40)
        self._step(e2, tone="neutral", action_letter=True)
        c1 = self._closed_case(self._partner("c1"), opened=50, resolved=44)
        self._call(c1, c1.date_opened)
        self._step(c1, 3, tone="gentle", action_email=True)
        c2 = self._closed_case(self._partner("c2"), opened=30, resolved=20)
        self._step(c2, tone="gentle", action_call=True)
        self._step(c2, tone="gentle", action_email=True, state="skipped")
        quiet = self._closed_case(self._partner("q"), opened=30, resolved=25)
        self.assertEqual(
            [self._outcome_of(c).first_channel for c in (e1, e2, c1, c2, quiet)],
            ["written", "written", "call", "call", "none"],
        )
        self.assertEqual(self._outcome_of(e2).first_tone, "neutral")
        groups = dict(
            self.env["debtor.care.case.outcome"]._read_group(
                [("case_id", "in", (e1 | e2 | c1 | c2).ids)],
                ["first_channel"],
                ["days_to_cure:avg"],
            )
        )
        self.assertEqual(groups, {"written": 25.0, "call": 8.0})

    def test_cost_per_case_counts_contacts_at_the_configured_unit_costs(self):
        self._use_euros()
        self.company.write(
            {
                "debtor_care_cost_email": 0.10,
                "debtor_care_cost_letter": 2.00,
                "debtor_care_cost_call_minute": 1.00,
                "debtor_care_call_minutes": 5,
            }
        )
        case = self._closed_case(self._partner("cost"), opened=30, resolved=10)
        self._step(case, action_email=True)
        self._step(case, 7, action_email=True, action_letter=True)
        self._step(case, 9, action_letter=True, state="failed")  # never sent
        self._call(case, self.today - timedelta(days=20), result="no_answer")
        self._call(case, self.today - timedelta(days=19))
        outcome = self._outcome_of(case)
        self.assertEqual((outcome.emails, outcome.letters, outcome.calls), (2, 1, 2))
        self.assertAlmostEqual(outcome.cost, 2 * 0.10 + 2.00 + 2 * 5 * 1.00)
        # the unit costs are settings: a cheaper letter shows at once
        self.company.debtor_care_cost_letter = 1.00
        self.env.invalidate_all()
        self.assertAlmostEqual(self._outcome_of(case).cost, 11.20)

    def _invoice_due(self, partner, days_ago, paid_days_after_due=None):
        """An invoice due `days_ago` days before today, paid that many days after its
        due date (negative: before it), or left open."""
        invoice = self._invoice(partner, 100.0, days_ago)
        if paid_days_after_due is not None:
            due = self.today - timedelta(days=days_ago)
            self._pay(invoice, 100.0, on=due + timedelta(days=paid_days_after_due))
        return invoice

    def test_payment_behaviour_180_days_before_and_after_the_case(self):
        # both cases opened 400 days ago and were resolved 380 days ago: the 180 days
        # before run up to day 401, the 180 days after from day 380 to day 200
        better, worse, short = self._partner("better"), self._partner("worse"), self._partner("s")
        # better: before 1 of 2 on time (50 %), after 2 of 2 (100 %)
        self._invoice_due(better, 450, paid_days_after_due=-2)
        self._invoice_due(better, 420, paid_days_after_due=15)
        self._invoice_due(better, 300, paid_days_after_due=0)
        self._invoice_due(better, 250, paid_days_after_due=-5)
        # worse: before 1 of 1 (100 %), after 1 of 2: one paid late, one still open
        self._invoice_due(worse, 430, paid_days_after_due=-1)
        self._invoice_due(worse, 320, paid_days_after_due=-3)
        self._invoice_due(worse, 260)
        # an invoice outside both windows counts for neither
        self._invoice_due(better, 100)
        for partner in (better, worse):
            self._closed_case(partner, opened=400, resolved=380)
        # a case resolved 100 days ago: its 180 days after are not over, no comparison
        self._invoice_due(short, 300, paid_days_after_due=9)
        short_case = self._closed_case(short, opened=150, resolved=100)
        self.env.flush_all()
        Outcome = self.env["debtor.care.case.outcome"]
        rows = {row.partner_id: row for row in Outcome.search([])}
        self.assertEqual((rows[better].ontime_before, rows[better].ontime_after), (50.0, 100.0))
        self.assertEqual((rows[worse].ontime_before, rows[worse].ontime_after), (100.0, 50.0))
        self.assertEqual((rows[better].paid_better, rows[worse].paid_better), (100.0, 0.0))
        self.assertFalse(self._outcome_of(short_case).ontime_after)
        with freeze_time(self.today):
            kpi = (
                self.env["debtor.care.dashboard"]
                .create(
                    {
                        "company_id": self.company.id,
                        "date_from": self.today - timedelta(days=400),
                        "date_to": self.today,
                    }
                )
                ._get_kpis()
            )
        self.assertEqual(kpi["behaviour_customers"], 2)
        self.assertAlmostEqual(kpi["paid_better_rate"], 0.5)
        self.assertAlmostEqual(kpi["ontime_change"], 0.0, msg="+50 and -50 points")

    def test_contact_to_agreement_rate_per_responsible(self):
        ben = self.env["res.users"].create(
            {
                "name": "Ben Rep",
                "login": "ben_rep",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "groups_id": [Command.set([self.env.ref("debtor_care.group_debtor_care_user").id])],
            }
        )
        case = self.Case.sudo().create(
            {"partner_id": self.consumer.id, "company_id": self.company.id}
        )
        day = self.today - timedelta(days=2)
        # Rita: 3 attempts, 2 reached, 1 ending in a promise -> 50 %; Ben: 1 plan of 1
        self._call(case, day, outcome="promise", user=self.rep)
        self._call(case, day, outcome="none", user=self.rep)
        self._call(case, day, result="voicemail", user=self.rep)
        self._call(case, day, outcome="plan", user=ben)
        self.env.flush_all()
        rates = dict(
            self.env["debtor.care.call.report"]._read_group(
                [("case_id", "=", case.id)], ["user_id"], ["agreement_rate:avg"]
            )
        )
        self.assertEqual(rates, {self.rep: 50.0, ben: 100.0})
        contact = dict(
            self.env["debtor.care.call.report"]._read_group(
                [("user_id", "=", self.rep.id)], ["user_id"], ["contact_rate:avg"]
            )
        )
        self.assertAlmostEqual(contact[self.rep], 200 / 3)

    def test_reasons_for_paying_late_from_calls_and_the_portal(self):
        self._invoice(self.consumer, 120.0, 12)
        self._invoice(self.business, 400.0, 12)
        self._run()
        consumer_case, business_case = self._case(self.consumer), self._case(self.business)
        call = self.env["debtor.care.call"].create(
            {"case_id": business_case.id, "result": "reached", "reason": "salary_late"}
        )
        call._apply_outcome()
        self.assertEqual(business_case.late_reason, "salary_late")
        with freeze_time(self.today):
            consumer_case.sudo()._portal_ask_time(self.today + timedelta(days=10), "bank_change")
        self.assertEqual(consumer_case.late_reason, "bank_change")
        for case, text in (
            (consumer_case, "Reason: Changed banks."),
            (business_case, "Reason: Salary came late."),
        ):
            self.assertIn(text, "".join(case.message_ids.mapped("body")), "logged on the case")
        self.env.flush_all()
        reasons = dict(
            self.env["debtor.care.case.outcome"]._read_group(
                [("late_reason", "!=", False)], ["late_reason"], ["__count"]
            )
        )
        self.assertEqual(reasons, {"salary_late": 1, "bank_change": 1})
