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


@tagged("post_install", "-at_install")
class TestReminderLink(HttpCase):
    def test_reminder_link_needs_the_right_token(self):
        partner = self.env["res.partner"].create({"name": "Link Customer"})
        case = self.env["debtor.care.case"].create({"partner_id": partner.id})
        url = case.get_portal_url()  # creates the access token
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])
        self.assertIn("invoices%2Foverdue", response.headers["Location"])
        forged = self.url_open(
            f"/my/payment-care/{case.id}?access_token=forged", allow_redirects=False
        )
        self.assertEqual(forged.status_code, 303)
        self.assertTrue(forged.headers["Location"].endswith("/my"))
