from datetime import timedelta

from odoo import Command, fields
from odoo.tests import freeze_time, tagged

from ..models.debtor_care_policy import STAGES
from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestDebtorCareReports(DebtorCareCommon):
    """Cockpit filters, key figures, age report and customer statement, each on a small
    hand-made data set whose expected figures are written here."""

    def _partner(self, name, **vals):
        return self.env["res.partner"].create({"name": name, "email": f"{name}@x.example", **vals})

    def _closed_case(self, partner, opened, resolved, state="resolved", resolution="paid"):
        return self.Case.sudo().create(
            {
                "partner_id": partner.id,
                "company_id": self.company.id,
                "state": state,
                "resolution": resolution,
                "date_opened": self.today - timedelta(days=opened),
                "date_resolved": self.today - timedelta(days=resolved),
            }
        )

    def _kpis(self, date_from=None, date_to=None):
        """The key figures as the dashboard computes them, seen on `today`."""
        with freeze_time(self.today):
            return (
                self.env["debtor.care.dashboard"]
                .create(
                    {
                        "company_id": self.company.id,
                        "date_from": date_from or self.today - timedelta(days=89),
                        "date_to": date_to or self.today,
                    }
                )
                ._get_kpis()
            )

    def test_key_figures_on_a_hand_made_book(self):
        anna, bert, carl, dora, emil = (
            self._partner(n) for n in ("anna", "bert", "carl", "dora", "emil")
        )
        # cases closed in the period: two cured by payment (after 10 and 30 days), one
        # small balance, one cancelled -> cure rate 2/4, median days to cure 20
        self._closed_case(anna, opened=40, resolved=30)
        self._closed_case(bert, opened=50, resolved=20)
        self._closed_case(carl, opened=30, resolved=10, resolution="small_balance")
        self._closed_case(dora, opened=30, resolved=5, state="cancelled", resolution="manual")
        self._closed_case(emil, opened=400, resolved=300)  # outside the period
        # sales of the period: anna 600 (open, after her case: retained), bert 300 (paid,
        # before his case was resolved: not retained) -> DSO 600 / 900 x 90 days = 60
        self._invoice(anna, 600.0, 10)
        bert_invoice = self._invoice(bert, 300.0, 10)
        self._pay(bert_invoice, 300.0, on=self.today - timedelta(days=5))
        open_case = self.Case.sudo().create(
            {"partner_id": emil.id, "company_id": self.company.id, "amount_overdue": 250.0}
        )
        # five call attempts: three reached (promise, plan, nothing agreed), two not
        for result, outcome in [
            ("reached", "promise"),
            ("reached", "plan"),
            ("reached", "none"),
            ("no_answer", "none"),
            ("voicemail", "none"),
        ]:
            self.env["debtor.care.call"].create(
                {
                    "case_id": open_case.id,
                    "result": result,
                    "outcome": outcome,
                    "date": fields.Datetime.to_datetime(self.today - timedelta(days=3)),
                }
            )
        # promises that fell due: three kept, one broken; a pending one does not count
        for state in ("kept", "kept", "kept", "broken", "pending"):
            self.env["debtor.care.promise"].sudo().create(
                {
                    "case_id": open_case.id,
                    "amount": 50.0,
                    "date_promised": self.today - timedelta(days=7),
                    "state": state,
                }
            )
        # plans ended in the period: one completed, one broken; an active one does not count
        for state in ("completed", "broken", "active"):
            self.env["debtor.care.agreement"].sudo().create(
                {
                    "partner_id": emil.id,
                    "case_id": open_case.id,
                    "state": state,
                    "date_closed": self.today - timedelta(days=2) if state != "active" else False,
                }
            )
        kpi = self._kpis()
        self.assertEqual(kpi["open_cases"], 1)
        self.assertAlmostEqual(kpi["amount_overdue"], 250.0)
        self.assertEqual((kpi["calls"], kpi["calls_reached"]), (5, 3))
        self.assertAlmostEqual(kpi["contact_rate"], 0.6)
        self.assertAlmostEqual(kpi["contact_agreement_rate"], 2 / 3)
        self.assertEqual(kpi["promises_due"], 4)
        self.assertAlmostEqual(kpi["promise_kept_rate"], 0.75)
        self.assertEqual(kpi["plans_ended"], 2)
        self.assertAlmostEqual(kpi["plan_completion_rate"], 0.5)
        self.assertEqual(kpi["cases_closed"], 4)
        self.assertAlmostEqual(kpi["cure_rate"], 0.5)
        self.assertAlmostEqual(kpi["median_days_to_cure"], 20.0)
        self.assertAlmostEqual(kpi["dso"], 60.0)
        self.assertEqual(kpi["cases_resolved"], 0, "no 180-day window has ended yet")

    def test_retention_counts_customers_whose_window_ended_once(self):
        anna, bert = self._partner("anna"), self._partner("bert")
        self._closed_case(anna, opened=320, resolved=300)
        self._closed_case(anna, opened=295, resolved=290)  # the same customer again
        self._closed_case(bert, opened=260, resolved=250)
        self._invoice(anna, 100.0, 236)  # invoiced 250 days ago: within 180 days after
        self._invoice(bert, 100.0, -4)  # invoiced 10 days ago: 240 days after, too late
        kpi = self._kpis(self.today - timedelta(days=400), self.today - timedelta(days=181))
        self.assertEqual(kpi["cases_resolved"], 2)
        self.assertAlmostEqual(kpi["retention_rate"], 0.5)

    def test_key_figures_of_an_empty_period_say_there_is_no_data(self):
        kpi = self._kpis()
        self.assertEqual(
            (kpi["calls"], kpi["cure_rate"], kpi["dso"], kpi["retention_rate"]), (0, 0, 0, 0)
        )
        # the denominators the form hides each rate behind (a dash, never "0 %")
        self.assertEqual(
            (kpi["calls_reached"], kpi["cases_closed"], kpi["cases_cured"], kpi["has_sales"]),
            (0, 0, 0, False),
        )
        view = self.env.ref("debtor_care.debtor_care_dashboard_view_form").arch
        for rate, denominator in (("cure_rate", "cases_closed"), ("dso", "has_sales")):
            self.assertRegex(view, rf'name="{rate}"[^>]*invisible="not {denominator}"')

    def test_key_figures_open_as_a_saved_record(self):
        action = self.env["debtor.care.dashboard"].action_open_key_figures()
        figures = self.env["debtor.care.dashboard"].browse(action["res_id"])
        self.assertTrue(figures.exists(), "no unsaved 'New' form")

    def test_cockpit_filters_find_the_right_cases(self):
        promised, planned, late_plan, disputed, hardship, quiet = (
            self._partner(n) for n in ("prom", "plan", "late", "disp", "hard", "quiet")
        )
        cases = {
            p.name: self.Case.sudo().create({"partner_id": p.id, "company_id": self.company.id})
            for p in (promised, planned, late_plan, disputed, hardship, quiet)
        }
        self.env["debtor.care.promise"].sudo().create(
            {"case_id": cases["prom"].id, "amount": 10.0, "date_promised": self.today}
        )
        for name, line_state in (("plan", "open"), ("late", "late")):
            self.env["debtor.care.agreement"].sudo().create(
                {
                    "partner_id": cases[name].partner_id.id,
                    "case_id": cases[name].id,
                    "state": "active",
                    "line_ids": [
                        Command.create(
                            {"date_due": self.today, "amount": 10.0, "state": line_state}
                        )
                    ],
                }
            )
        invoice = self._invoice(disputed, 100.0, 10)
        invoice.debtor_care_case_id = cases["disp"]
        invoice._debtor_care_open_dispute("Goods damaged")
        cases["hard"].sudo().write(
            {"state": "paused", "pause_reason": "hardship", "pause_until": self.today}
        )

        ids = [case.id for case in cases.values()]

        def found(domain):
            return set(self.Case.search([*domain, ("id", "in", ids)]).mapped("partner_id.name"))

        today = fields.Date.to_string(self.today)
        self.assertEqual(found([("promise_due_date", "<=", today)]), {"prom"})
        self.assertEqual(found([("agreement_state", "=", "late")]), {"late"})
        self.assertEqual(found([("agreement_state", "=", "active")]), {"plan"})
        self.assertEqual(found([("has_dispute", "=", True)]), {"disp"})
        self.assertEqual(
            found([("pause_reason", "=", "hardship"), ("state", "=", "paused")]), {"hard"}
        )
        self.assertTrue(cases["disp"].has_dispute)
        self.assertFalse(cases["quiet"].has_dispute)

    def _days_ago_for_sql(self, days):
        """The aging report ages against the database's date: shift our fixed `today`."""
        self.env.cr.execute("SELECT CURRENT_DATE")
        return days - (self.env.cr.fetchone()[0] - self.today).days

    def test_age_report_buckets_and_levels(self):
        invoices = self.env["account.move"]
        for days, amount in ((10, 100.0), (45, 200.0), (75, 300.0), (120, 400.0), (130, 50.0)):
            invoices |= self._invoice(self.consumer, amount, self._days_ago_for_sql(days))
        self._invoice(self.consumer, 999.0, self._days_ago_for_sql(-5))  # not due: left out
        level = self.consumer_policy.level_ids.sorted("sequence")[:1]
        case = self.Case.sudo().create(
            {"partner_id": self.consumer.id, "company_id": self.company.id, "level_id": level.id}
        )
        invoices.debtor_care_case_id = case  # what the daily sync links
        Report = self.env["debtor.care.aging.report"]
        groups = Report.read_group(
            [("partner_id", "=", self.consumer.id)], ["amount:sum"], ["bucket"]
        )
        self.assertEqual(
            {g["bucket"]: g["amount"] for g in groups},
            {"1_30": 100.0, "31_60": 200.0, "61_90": 300.0, "90_plus": 450.0},
        )
        self.assertEqual(Report.search([("partner_id", "=", self.consumer.id)]).level_id, level)
        rows = Report.search([("partner_id", "=", self.consumer.id)])
        self.assertEqual(set(rows.mapped("stage")), {level.stage}, "grouped by stage too")

    def test_step_report_counts_channels_and_tone(self):
        self._invoice(self.consumer, 100.0, 8)
        self._run()
        step = self._case(self.consumer).dunning_ids
        rows = self.env["debtor.care.step.report"].search([("step_id", "=", step.id)])
        self.assertEqual(rows.mapped("channel"), ["email"])
        self.assertEqual(rows.tone, step.tone)

    def test_calendar_shows_promises_and_instalments(self):
        case = self.Case.sudo().create(
            {"partner_id": self.consumer.id, "company_id": self.company.id}
        )
        self.env["debtor.care.promise"].sudo().create(
            {"case_id": case.id, "amount": 25.0, "date_promised": self.today}
        )
        self.env["debtor.care.agreement"].sudo().create(
            {
                "partner_id": self.consumer.id,
                "case_id": case.id,
                "state": "active",
                "line_ids": [
                    Command.create({"date_due": self.today + timedelta(days=30), "amount": 40.0}),
                    Command.create({"date_due": self.today + timedelta(days=60), "amount": 40.0}),
                ],
            }
        )
        events = self.env["debtor.care.due.date"].search([("case_id", "=", case.id)])
        self.assertEqual(sorted(events.mapped("kind")), ["installment", "installment", "promise"])
        self.assertEqual(sum(events.mapped("amount")), 105.0)

    def test_statement_lists_open_items_credits_payments_and_interest(self):
        old = self._invoice(self.business, 1000.0, 60)
        recent = self._invoice(self.business, 200.0, 5)
        paid = self._invoice(self.business, 300.0, 20)
        self._pay(paid, 300.0, on=self.today - timedelta(days=10))
        credit = self._invoice(self.business, 50.0, 0, move_type="out_refund")
        case = self.Case.with_context(debtor_care_today=self.today).create(
            {"partner_id": self.business.id, "company_id": self.company.id}
        )
        values = case._get_statement_values()
        self.assertEqual([i["line"].move_id for i in values["items"]], [old, recent])
        self.assertEqual([c["line"].move_id for c in values["credits"]], [credit])
        self.assertEqual(values["payments"].mapped("credit"), [300.0])
        self.assertAlmostEqual(values["balance"], 1150.0)
        # a business is in default 30 days after the due date: interest on the old one only
        self.assertGreater(values["items"][0]["interest"], 0)
        self.assertEqual(values["items"][1]["interest"], 0)
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "debtor_care.action_report_statement", case.ids
        )
        html = html.decode()
        for name in (old.name, recent.name, credit.name):
            self.assertIn(name, html)
        self.assertNotIn(paid.name + "<", html.split("Payments received")[0])
        action = case.action_send_statement()
        self.assertEqual(
            action["context"]["default_template_id"],
            self.env.ref("debtor_care.mail_template_statement").id,
        )

    def test_cockpit_columns_follow_the_dunning_order(self):
        partners = [self._partner(name) for name in ("Ada", "Ben", "Cem")]
        levels = self.consumer_policy._get_levels()
        second = levels.filtered(lambda level: level.stage == "second")[:1]
        final = levels.filtered(lambda level: level.stage == "final")[:1]
        first = levels[:1]
        for partner, level in zip(partners, (final, first, second), strict=False):
            self.Case.sudo().create(
                {"partner_id": partner.id, "company_id": self.company.id, "level_id": level.id}
            )
        groups = self.Case.read_group(
            [("partner_id", "in", [p.id for p in partners])], ["stage"], ["stage"]
        )
        order = [stage for stage, _label in STAGES]
        stages = [group["stage"] for group in groups]
        self.assertEqual(stages, sorted(stages, key=order.index), "reminder, second, final")
