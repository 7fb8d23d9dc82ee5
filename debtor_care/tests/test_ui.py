from datetime import timedelta

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPaymentCareMenu(HttpCase):
    def test_manager_opens_payment_care(self):
        """An accountant of the Debtor Care Manager group logs in and opens Payment Care."""
        new_test_user(
            self.env,
            "care_manager",
            password="care_manager_pw",
            groups="base.group_user,account.group_account_invoice,debtor_care.group_debtor_care_manager",
        )
        self.start_tour("/odoo", "debtor_care_open_payment_care", login="care_manager")

    def test_manager_starts_the_daily_run_and_follows_it(self):
        """The manager's runs list: progress per run, and the button that starts tonight's."""
        new_test_user(
            self.env,
            "care_runner",
            password="care_runner_pw",
            groups="base.group_user,account.group_account_invoice,debtor_care.group_debtor_care_manager",
        )
        self.env.company.debtor_care_enabled = True
        yesterday = self.env["debtor.care.case"]._today() - timedelta(days=1)
        self.env["debtor.care.run"].create(
            {"company_id": self.env.company.id, "date": yesterday, "state": "done"}
        )
        self.start_tour("/odoo", "debtor_care_manager_starts_run", login="care_runner")
