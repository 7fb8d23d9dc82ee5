import re

from odoo.tests import HttpCase, tagged

from .common import DebtorCareCommon

IBAN = "DE89370400440532013000"


def epc_lines(payload):
    """The EPC069-12 (GiroCode) payload as its twelve lines, checked for its format."""
    lines = payload.split("\n")
    assert len(payload.encode()) <= 331, "EPC069-12: at most 331 bytes"
    assert len(lines) in (11, 12), lines
    return lines + [""] * (12 - len(lines))


@tagged("post_install", "-at_install")
class TestHowToPay(DebtorCareCommon, HttpCase):
    """What a customer needs to pay by bank transfer: total, account, reference and a
    GiroCode, the same on the care page and in the reminder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_euros()  # a German company in euros: what the GiroCode is made for
        cls.bank = cls._company_bank()
        cls.other_customer = cls.env["res.partner"].create({"name": "Otto Other"})

    def setUp(self):
        super().setUp()
        self._open_two_cases()

    def _assert_epc(self, payload, amount, reference):
        service, version, charset, ident, bic, name, iban, value, purpose, rf, text, _info = (
            epc_lines(payload)
        )
        self.assertEqual((service, version, charset, ident), ("BCD", "002", "1", "SCT"))
        self.assertEqual((bic, iban), ("COBADEFFXXX", IBAN))
        self.assertTrue(0 < len(name) <= 70)
        self.assertRegex(value, r"^EUR\d{1,9}(\.\d{1,2})?$")
        self.assertAlmostEqual(float(value[3:]), amount, places=2)
        self.assertEqual(purpose, "")
        self.assertFalse(rf and text, "structured or unstructured reference, never both")
        self.assertEqual(text or rf, reference)
        self.assertLessEqual(len(text), 140)

    def test_the_care_page_shows_total_account_reference_and_girocode(self):
        page = self.url_open(self.case.get_portal_url()).text
        self.assertIn("DE89 3704 0044 0532 0130 00", page)
        self.assertIn("COBADEFFXXX", page)
        self.assertIn(self.invoice.payment_reference, page)
        total = re.search(r'o_debtor_care_total".*?</span>\s*</span>', page, re.S).group(0)
        self.assertIn("300.00", total, "the total at the top")
        self.assertIn("/report/barcode/?barcode_type=QR", page)
        details = self.case._transfer_details(self.case.overdue_line_ids)
        self._assert_epc(details["epc"], 300.0, self.invoice.payment_reference)
        # the GiroCode image itself is served to anyone holding the link
        qr = re.search(r'<img[^>]*src="([^"]*/report/barcode/[^"]*)"', page).group(1)
        image = self.url_open(qr.replace("&amp;", "&"))
        self.assertEqual(image.status_code, 200)
        self.assertEqual(image.headers["Content-Type"], "image/png")

    def test_one_transfer_for_several_invoices_names_them_all_less_the_credits(self):
        second = self._invoice(self.consumer, 120.0, 8)
        credit = self._invoice(self.consumer, 20.0, 0, move_type="out_refund")
        self._run(self.today)
        self.case.invalidate_recordset()
        details = self.case._transfer_details(self.case.overdue_line_ids)
        self.assertEqual(details["amount"], 400.0, "300 + 120 less the 20 credit")
        self.assertEqual(
            details["reference"], f"{self.invoice.payment_reference} {second.payment_reference}"
        )
        self._assert_epc(details["epc"], 400.0, details["reference"])
        self.assertTrue(credit)

    def test_credits_that_cover_everything_ask_for_no_transfer(self):
        self._invoice(self.consumer, 500.0, 0, move_type="out_refund")
        self._run(self.today)
        self.case.invalidate_recordset()
        details = self.case._transfer_details(self.case.overdue_line_ids)
        self.assertEqual(details["amount"], 0.0)
        self.assertFalse(details["epc"], "no GiroCode for nothing")
        page = self.url_open(self.case.get_portal_url()).text
        self.assertIn("Nothing to transfer", page)

    def test_the_reminder_email_carries_the_payment_block(self):
        # reminders go out on working days only: on a weekend the first one waits
        self._run(self.company._debtor_care_next_working_day(self.today))
        self.case.invalidate_recordset()
        step = self.case.dunning_ids.filtered("action_email")[:1]
        self.assertTrue(step, "the first reminder went by e-mail")
        body = step.email_body
        self.assertIn("DE89 3704 0044 0532 0130 00", body)
        self.assertIn(self.invoice.payment_reference, body)
        self.assertIn(self.company.get_base_url() + "/report/barcode/", body)

    def test_without_a_sepa_account_the_page_still_says_how_to_pay_online(self):
        self.bank.active = False  # as when an account used on invoices is removed
        page = self.url_open(self.case.get_portal_url()).text
        self.assertNotIn("o_debtor_care_payment_block", page)
        self.assertIn("o_debtor_care_pay", page, "the pay-now buttons stay")
