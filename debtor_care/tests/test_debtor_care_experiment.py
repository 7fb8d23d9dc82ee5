from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..engine.rules import experiment_arm
from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestDebtorCareExperiment(DebtorCareCommon):
    """Champion / challenger: which arm a new case gets, that it keeps it, who may run
    an experiment, and the comparison on a hand-made book whose figures are written here."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.challenger_policy = cls.consumer_policy.copy({"name": "Consumers: call first"})
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Mia Manager",
                "login": "mia_exp_manager",
                "email": "mia@example.com",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [
                    Command.set([cls.env.ref("debtor_care.group_debtor_care_manager").id])
                ],
            }
        )
        cls.company.debtor_care_policy_consumer_id = cls.consumer_policy

    def _experiment(self, share=50, start=True):
        experiment = (
            self.env["debtor.care.experiment"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Call first",
                    "champion_policy_id": self.consumer_policy.id,
                    "challenger_policy_id": self.challenger_policy.id,
                    "challenger_share": share,
                }
            )
        )
        if start:
            experiment.action_start()
        return experiment

    def _customers(self, count):
        return self.env["res.partner"].create(
            [{"name": f"Customer {i}", "email": f"c{i}@x.example"} for i in range(count)]
        )

    def test_new_cases_go_to_the_customers_arm_and_keep_it(self):
        experiment = self._experiment(share=50)
        customers = self._customers(20)
        for customer in customers:
            self._invoice(customer, 100.0, 12)
        self._invoice(self.business, 500.0, 12)  # another policy: not in the experiment
        self._run()
        cases = {customer: self._case(customer) for customer in customers}
        arms = {}
        for customer, case in cases.items():
            expected = experiment_arm(customer.id, experiment.key, 50)
            self.assertEqual(case.experiment_id, experiment)
            self.assertEqual(case.experiment_arm, expected)
            policy = self.challenger_policy if expected == "challenger" else self.consumer_policy
            self.assertEqual(case.policy_id, policy, "the arm's policy duns the case")
            arms[customer] = expected
        self.assertEqual(set(arms.values()), {"champion", "challenger"})
        self.assertFalse(self._case(self.business).experiment_id)
        self.assertEqual(experiment.champion_case_count + experiment.challenger_case_count, 20)

        # the next runs do not move anyone, and after a resolved case the customer's next
        # case lands in the same arm again
        self._run(self.today + timedelta(days=3))
        customer = customers[0]
        self.assertEqual(self._case(customer).experiment_arm, arms[customer])
        invoice = self.env["account.move"].search(
            [("partner_id", "=", customer.id), ("move_type", "=", "out_invoice")]
        )
        self._pay(invoice, 100.0, on=self.today + timedelta(days=4))
        self._run(self.today + timedelta(days=5))
        self.assertEqual(self._case(customer).state, "resolved")
        self._invoice(customer, 40.0, -10)  # due in 10 days: overdue 30 days later
        later = self.today + timedelta(days=40)
        self._run(later)
        new_case = self._case(customer, on=later)
        self.assertNotEqual(new_case, cases[customer])
        self.assertEqual(new_case.experiment_arm, arms[customer])

    def test_a_draft_or_ended_experiment_takes_no_new_cases(self):
        draft = self._experiment(start=False)
        customer = self._customers(1)
        self._invoice(customer, 100.0, 12)
        self._run()
        self.assertFalse(self._case(customer).experiment_id)
        self.assertFalse(draft.key, "the key that decides the arms is made at the start")

    def test_promoting_the_challenger_makes_it_the_default_and_running_cases_keep_theirs(self):
        experiment = self._experiment(share=50)
        customers = self._customers(10)
        for customer in customers:
            self._invoice(customer, 100.0, 12)
        self._run()
        champions = self.Case.search([("experiment_arm", "=", "champion")])
        self.assertTrue(champions)
        # nothing closed yet: no rate, no test, and a dash instead of "0 %"
        figures = experiment._compare(self.today)
        self.assertEqual((figures["champion"]["closed"], figures["champion"]["cured"]), (0, 0))
        self.assertIsNone(figures["tests"]["cure_rate"])
        self.assertIn("\N{EN DASH}", str(experiment.comparison_html))
        experiment.with_user(self.manager).action_promote_challenger()
        self.assertEqual(experiment.state, "ended")
        self.assertEqual(experiment.winner, "challenger")
        self.assertEqual(experiment.date_end, self.env["debtor.care.case"]._today())
        self.assertEqual(self.company.debtor_care_policy_consumer_id, self.challenger_policy)
        self.assertIn("is now the default policy for consumers", experiment.message_ids[0].body)
        champions.invalidate_recordset()
        self.assertEqual(champions.policy_id, self.consumer_policy, "kept until resolved")
        # a new customer's case: the promoted policy, outside the ended experiment
        newcomer = self._customers(1)
        self._invoice(newcomer, 70.0, 12)
        self._run(self.today + timedelta(days=1))
        case = self._case(newcomer, on=self.today + timedelta(days=1))
        self.assertFalse(case.experiment_id)
        self.assertEqual(case.policy_id, self.challenger_policy)

    def test_ending_with_the_champion_changes_no_default(self):
        experiment = self._experiment()
        experiment.with_user(self.manager).action_end_keep_champion()
        self.assertEqual((experiment.state, experiment.winner), ("ended", "champion"))
        self.assertEqual(self.company.debtor_care_policy_consumer_id, self.consumer_policy)
        with self.assertRaises(UserError):
            experiment.with_user(self.manager).action_start()

    def test_only_managers_run_experiments_and_the_engine_owns_their_state(self):
        experiment = self._experiment(start=False)
        as_rep = experiment.with_user(self.rep)
        self.assertTrue(as_rep.name, "reps may look")
        with self.assertRaises(AccessError):
            as_rep.action_start()
        with self.assertRaises(AccessError):
            as_rep.write({"challenger_share": 30})
        with self.assertRaises(AccessError):
            experiment.with_user(self.manager).write({"state": "running"})
        with self.assertRaises(AccessError):
            experiment.with_user(self.manager).write({"key": "chosen-by-hand"})
        experiment.with_user(self.manager).action_start()
        with self.assertRaises(UserError):
            experiment.with_user(self.manager).write({"challenger_share": 10})
        with self.assertRaises(UserError):
            experiment.with_user(self.manager).unlink()
        with self.assertRaises(AccessError):
            experiment.with_user(self.rep).action_end_keep_champion()
        self.assertEqual(experiment.state, "running")

    def test_bad_experiments_are_refused(self):
        Experiment = self.env["debtor.care.experiment"].with_user(self.manager)
        base = {"name": "x", "champion_policy_id": self.consumer_policy.id}
        with self.assertRaises(ValidationError):
            Experiment.create({**base, "challenger_policy_id": self.consumer_policy.id})
        with self.assertRaises(ValidationError):
            Experiment.create({**base, "challenger_policy_id": self.business_policy.id})
        with self.assertRaises(ValidationError):
            Experiment.create(
                {**base, "challenger_policy_id": self.challenger_policy.id, "challenger_share": 80}
            )
        self._experiment()
        with self.assertRaises(ValidationError):
            self._experiment()  # a second one on the same policy

    def test_a_policy_changed_by_hand_takes_the_case_out_of_the_experiment(self):
        self._experiment(share=50)
        customers = self._customers(6)
        for customer in customers:
            self._invoice(customer, 100.0, 12)
        self._run()
        case = self.Case.search([("experiment_id", "!=", False)], limit=1)
        other = self.consumer_policy.copy({"name": "Gentle only"})
        case.with_user(self.manager).policy_id = other
        self.assertEqual(case.policy_id, other)
        self.assertFalse(case.experiment_id)
        self.assertFalse(case.experiment_arm)
        self.assertIn("Left the experiment", case.message_ids[0].body)

    # ------------------------------------------------------------------ comparison
    def _case_in(self, experiment, arm, opened, resolved=None, resolution="paid", **vals):
        partner = self._customers(1)
        return self.Case.sudo().create(
            {
                "partner_id": partner.id,
                "company_id": self.company.id,
                "experiment_id": experiment.id,
                "experiment_arm": arm,
                "state": "resolved" if resolved is not None else "open",
                "resolution": resolution if resolved is not None else False,
                "date_opened": self.today - timedelta(days=opened),
                "date_resolved": resolved is not None and self.today - timedelta(days=resolved),
                **vals,
            }
        )

    def _step(self, case, **actions):
        return (
            self.env["debtor.care.dunning"]
            .sudo()
            .create({"case_id": case.id, "state": "done", "date": case.date_opened, **actions})
        )

    def _call(self, case, outcome="none"):
        return self.env["debtor.care.call"].create(
            {"case_id": case.id, "result": "reached", "outcome": outcome}
        )

    def test_comparison_on_a_hand_made_book(self):
        self._use_euros()
        self.company.write(
            {
                "debtor_care_cost_email": 0.05,
                "debtor_care_cost_letter": 1.50,
                "debtor_care_cost_call_minute": 0.75,
                "debtor_care_call_minutes": 6,
            }
        )
        experiment = self._experiment(share=50)
        # champion: paid after 10 and 30 days, one closed by hand, one still open ->
        # cure 2/3, median 20 days
        a = self._case_in(experiment, "champion", opened=40, resolved=30)
        b = self._case_in(experiment, "champion", opened=50, resolved=20)
        self._case_in(experiment, "champion", opened=30, resolved=5, resolution="manual")
        d = self._case_in(experiment, "champion", opened=10)
        # challenger: both paid, after 4 and 6 days -> cure 2/2, median 5 days
        c = self._case_in(experiment, "challenger", opened=14, resolved=10)
        self._case_in(experiment, "challenger", opened=16, resolved=10)
        # contacts: a 2 e-mails and a letter (1.60), b one call (4.50), d a call about a
        # dispute (4.50) -> champion cost per case 10.60 / 4; challenger c one call
        self._step(a, action_email=True)
        self._step(a, action_email=True, action_letter=True)
        self._step(a, action_email=True, state="skipped")  # not sent: no cost
        self._call(b)
        self._call(d, outcome="dispute")
        self._call(c, outcome="promise")
        # collected: 120 paid on d's invoice since its case opened (a credit note of 30
        # is no money in)
        invoice = self._invoice(d.partner_id, 200.0, 15)
        invoice.sudo().debtor_care_case_id = d
        self._pay(invoice, 120.0, on=self.today - timedelta(days=2))
        refund = self._invoice(d.partner_id, 30.0, 0, move_type="out_refund")
        (refund.line_ids | invoice.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()

        figures = experiment._compare(self.today)
        champion, challenger = figures["champion"], figures["challenger"]
        self.assertEqual((champion["cases"], champion["closed"], champion["cured"]), (4, 3, 2))
        self.assertEqual(
            (challenger["cases"], challenger["closed"], challenger["cured"]), (2, 2, 2)
        )
        self.assertAlmostEqual(champion["median_days_to_cure"], 20.0)
        self.assertAlmostEqual(challenger["median_days_to_cure"], 5.0)
        self.assertAlmostEqual(champion["cost_per_case"], 10.60 / 4)
        self.assertAlmostEqual(challenger["cost_per_case"], 4.50 / 2)
        self.assertAlmostEqual(champion["collected_per_case"], 120.0 / 4)
        self.assertAlmostEqual(challenger["collected_per_case"], 0.0)
        self.assertEqual((champion["disputed"], challenger["disputed"]), (1, 0))
        # 2/2 against 2/3: pooled 0.8, z = 0.913, p = 0.361 (not significant)
        self.assertAlmostEqual(figures["tests"]["cure_rate"]["z"], 0.9129, places=3)
        self.assertAlmostEqual(figures["tests"]["cure_rate"]["p"], 0.3613, places=3)
        self.assertIsNone(figures["tests"]["retention_rate"], "no 180-day window ended yet")
        html = str(experiment.comparison_html)
        self.assertIn("66.7 %", html)
        self.assertIn("100.0 %", html)
        self.assertIn("0.361", html)
