from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_groups_and_menu(self):
        user_group = self.env.ref("debtor_care.group_debtor_care_user")
        manager_group = self.env.ref("debtor_care.group_debtor_care_manager")
        self.assertIn(user_group, manager_group.implied_ids)
        # accountants manage payment care, invoicing users work it
        self.assertIn(manager_group, self.env.ref("account.group_account_manager").implied_ids)
        self.assertIn(user_group, self.env.ref("account.group_account_invoice").implied_ids)

        menu = self.env.ref("debtor_care.menu_debtor_care_root")
        self.assertEqual(menu.name, "Payment Care")
        self.assertEqual(menu.parent_id, self.env.ref("account.menu_finance"))

    def test_menu_visible_only_to_care_users(self):
        rep = new_test_user(
            self.env, "rep", groups="base.group_user,debtor_care.group_debtor_care_user"
        )
        clerk = new_test_user(self.env, "clerk", groups="base.group_user")
        root = self.env.ref("debtor_care.menu_debtor_care_root")
        invoicing = self.env.ref("account.menu_finance")
        rep_menus = self.env["ir.ui.menu"].with_user(rep)._visible_menu_ids()
        self.assertIn(root.id, rep_menus)
        self.assertIn(invoicing.id, rep_menus, "a sales rep reaches Payment Care through Invoicing")
        self.assertNotIn(root.id, self.env["ir.ui.menu"].with_user(clerk)._visible_menu_ids())

    def test_the_demo_speaks_both_languages(self):
        """With demo data: English and German are active, and German customers got their
        reminders in German (the module's terms were loaded before the demo's run)."""
        company = self.env.ref("debtor_care.demo_company", raise_if_not_found=False)
        if not company:
            self.skipTest("installed without demo data")
        self.assertEqual(
            set(self.env["res.lang"].search([]).mapped("code")) >= {"de_DE", "en_US"}, True
        )
        mails = self.env["mail.message"].search(
            [
                ("model", "=", "debtor.care.case"),
                ("subject", "!=", False),
                ("record_company_id", "=", company.id),
            ]
        )
        german = mails.filtered(lambda m: m.partner_ids[:1].lang == "de_DE")
        self.assertTrue(german, "the demo wrote to German customers")
        self.assertFalse(
            german.filtered(
                lambda m: m.subject.startswith(("A friendly", "Open items", "Your payment"))
            ),
            "no English reminder to a German customer",
        )
        responsibles = (
            self.env["debtor.care.case"].search([("company_id", "=", company.id)]).user_id
        )
        self.assertNotIn(self.env.ref("base.user_root"), responsibles, "real people, not OdooBot")
