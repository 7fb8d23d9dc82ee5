import shutil
import subprocess
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import HttpCase, freeze_time, tagged

from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestRealPdfs(DebtorCareCommon, HttpCase):
    """The documents a customer receives, rendered by wkhtmltopdf as in production and
    read back with pdftotext: what the paper says, not what the HTML meant to say."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._use_euros()  # a German company in euros, paid by transfer with a GiroCode

    def _pdf_text(self, report, records):
        if not (shutil.which("wkhtmltopdf") and shutil.which("pdftotext")):
            self.skipTest(
                "wkhtmltopdf or pdftotext is missing (Debian's wkhtmltopdf, poppler-utils)"
            )
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, records.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), "a real PDF, not the HTML fallback")
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        return " ".join(text.split())

    def setUp(self):
        super().setUp()
        self._company_bank()
        self.invoice = self._invoice(self.consumer, 448.20, 25)
        self._run()
        self.case = self._case(self.consumer)

    def assertHowToPay(self, text, reference):
        self.assertIn("DE89 3704 0044 0532 0130 00", text, "the IBAN, readable")
        self.assertIn("COBADEFFXXX", text)
        self.assertIn(reference, text)

    def test_agreement_pdf_says_the_schedule_and_the_amount_in_words(self):
        with freeze_time(self.today):
            agreement = self.env["debtor.care.agreement"].create(
                {
                    "partner_id": self.consumer.id,
                    "case_id": self.case.id,
                    "move_ids": [Command.set(self.invoice.ids)],
                    "installment_count": 3,
                    "first_date": self.today + timedelta(days=7),
                }
            )
            agreement.action_generate_schedule()
        text = self._pdf_text("debtor_care.action_report_agreement", agreement)
        self.assertIn(agreement.name, text)
        self.assertIn(" ".join(agreement._amount_in_words().split()), text)
        self.assertIn("149.40", text, "each instalment, 448.20 in three")
        self.assertIn(self.consumer.name, text)
        self.assertHowToPay(text, f"{agreement.name} {self.invoice.payment_reference}")

    def test_statement_pdf_lists_the_open_invoice(self):
        text = self._pdf_text("debtor_care.action_report_statement", self.case)
        self.assertIn(self.invoice.name, text)
        self.assertIn("448.20", text)
        self.assertHowToPay(text, self.invoice.payment_reference)

    def test_letter_pdf_is_the_written_reminder(self):
        step = self.case.dunning_ids[:1]
        text = self._pdf_text("debtor_care.action_report_dunning_letter", step)
        self.assertIn(self.invoice.name, text)
        self.assertIn(self.consumer.name, text)
        self.assertHowToPay(text, self.invoice.payment_reference)

    def test_collection_dossier_pdf_names_the_claim_and_the_reminders(self):
        text = self._pdf_text("debtor_care.action_report_handover_dossier", self.case)
        self.assertIn(self.invoice.name, text)
        self.assertIn("BDSG §31", text)
        self.assertIn(
            self.case.dunning_ids.filtered(lambda s: s.state == "done")[:1].level_id.name, text
        )


@tagged("post_install", "-at_install")
class TestWithoutWkhtmltopdf(DebtorCareCommon, HttpCase):
    """Where no PDF can be rendered, the documents still reach the customer as pages."""

    def setUp(self):
        super().setUp()
        self.invoice = self._invoice(self.consumer, 300.0, 25)
        self._run()
        self.case = self._case(self.consumer)
        no_pdf = patch.object(
            type(self.env["debtor.care.dunning"]), "_can_render_pdf", return_value=False
        )
        no_pdf.start()
        self.addCleanup(no_pdf.stop)

    def test_the_agreement_download_shows_the_page(self):
        agreement = self.env["debtor.care.agreement"].create(
            {
                "partner_id": self.consumer.id,
                "case_id": self.case.id,
                "move_ids": [Command.set(self.invoice.ids)],
                "installment_count": 2,
                "first_date": fields.Date.context_today(self.env.user) + timedelta(days=7),
            }
        )
        agreement.action_generate_schedule()
        response = self.url_open(f"{agreement.get_portal_url()}&report_type=pdf&download=true")
        self.assertEqual(response.status_code, 200)
        self.assertIn("text/html", response.headers["Content-Type"])
        self.assertIn(agreement.name, response.text)

    def test_the_statement_composer_opens_without_the_pdf(self):
        action = self.case.action_send_statement()
        composer = self.env["mail.compose.message"].with_context(**action["context"]).create({})
        self.assertTrue(composer.body, "the statement e-mail is written")
        self.assertFalse(composer.attachment_ids, "no PDF could be made: none attached")

    def test_a_queued_letter_says_why_it_waits(self):
        step = self.case.dunning_ids[:1]
        step.sudo()._do_letter()
        self.env["debtor.care.dunning"]._cron_render_letters()
        self.assertEqual(step.letter_state, "to_render", "nothing rendered, nothing lost")
        self.assertIn("wkhtmltopdf is not installed", step.letter_note)
        letters = self.env.ref("debtor_care.debtor_care_dunning_letters_action")
        self.assertIn("search_default_letters_queued", letters.context, "listed, not hidden")
