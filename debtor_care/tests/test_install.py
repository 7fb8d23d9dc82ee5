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
