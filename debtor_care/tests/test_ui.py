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
