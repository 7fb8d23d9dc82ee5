import xmlrpc.client
from datetime import timedelta

from odoo.tests import HttpCase, new_test_user, tagged

from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestIntegrationApi(DebtorCareCommon, HttpCase):
    """The README's XML-RPC example, run against the real HTTP server."""

    def setUp(self):
        super().setUp()
        self.other_customer = self.env["res.partner"].create({"name": "Otto Other"})
        self._open_two_cases()
        self.rep.password = "rita_rep_pw"

    def call(self, method, *args, login="rita_rep", password="rita_rep_pw"):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, login, password, {})
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, password, "debtor.care.case", method, list(args)
        )

    def test_a_shop_backend_asks_for_time_over_xml_rpc(self):
        case_id = self.call("api_find_case", self.consumer.id)
        self.assertEqual(case_id, self.case.id)
        pay_by = (self.today + timedelta(days=10)).isoformat()
        result = self.call("api_ask_time", [case_id], pay_by)
        self.assertEqual(result["case_id"], self.case.id)
        self.assertEqual(result["state"], "paused")
        self.assertIn("we have noted that you will pay by", result["message"])
        self.assertEqual(self.case.promise_ids.date_promised.isoformat(), pay_by)

    def test_bad_calls_get_a_clear_error_and_change_nothing(self):
        with self.assertRaisesRegex(xmlrpc.client.Fault, "exactly one existing care case"):
            self.call("api_ask_time", [999999], self.today.isoformat())
        with self.assertRaisesRegex(xmlrpc.client.Fault, "within the next"):
            self.call("api_ask_time", [self.case.id], "2099-01-01")
        with self.assertRaisesRegex(xmlrpc.client.Fault, "no customer with the id"):
            self.call("api_find_case", 999999)
        self.assertFalse(self.case.promise_ids)
        new_test_user(
            self.env, "plain_employee", password="plain_employee_pw", groups="base.group_user"
        )
        with self.assertRaisesRegex(xmlrpc.client.Fault, "Only Payment Care users"):
            self.call(
                "api_ask_time",
                [self.case.id],
                self.today.isoformat(),
                login="plain_employee",
                password="plain_employee_pw",
            )
