from markupsafe import Markup

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import format_amount

from ..models import batch_memo
from .common import DebtorCareCommon


@tagged("post_install", "-at_install")
class TestBatchMemo(TransactionCase):
    """Inside a batch of the daily run, amounts are formatted by a copy of core's
    format_amount that reads the language once: it must write exactly what core writes,
    in every language, currency position and sign, or a reminder would show another
    amount than the care page."""

    def test_amounts_read_as_core_formats_them(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["res.lang"]._activate_lang("fr_FR")
        euro, dollar = self.env.ref("base.EUR"), self.env.ref("base.USD")
        yen = self.env.ref("base.JPY")
        values = [0.0, 0.004, 5.0, -12.5, 1234.565, 1234567.891, -98765432.1, 40.0]
        with batch_memo.scope(self.env):
            for lang in ("en_US", "de_DE", "fr_FR", None):
                for currency in (euro, dollar, yen):
                    for value in values:
                        with self.subTest(lang=lang, currency=currency.name, value=value):
                            self.assertEqual(
                                batch_memo.amount(self.env, value, currency, lang),
                                format_amount(self.env, value, currency, lang),
                            )
        self.assertEqual(
            batch_memo.amount(self.env, 1234.5, euro, "de_DE"),
            "1.234,50\N{NO-BREAK SPACE}€",
            "and the German amount reads as Germans write it",
        )

    def test_nothing_is_remembered_outside_a_batch(self):
        german = self.env["res.lang"]._activate_lang("de_DE")
        euro = self.env.ref("base.EUR")
        with batch_memo.scope(self.env):
            batch_memo.amount(self.env, 10.0, euro, "de_DE")
        german.decimal_point, german.thousands_sep = ".", ","
        self.assertEqual(
            batch_memo.amount(self.env, 1234.5, euro, "de_DE"),
            "1,234.50\N{NO-BREAK SPACE}€",
            "a language changed after the batch is seen at once",
        )


@tagged("post_install", "-at_install")
class TestBatchRendering(DebtorCareCommon):
    """A batch of reminders renders the sender's inline expression compiled once: what
    every customer receives must be what core's rendering writes, record by record."""

    def test_inline_fields_render_as_core_renders_them(self):
        self.company.email = "accounts@shop.example"
        self.rep.email = "rita@shop.example"
        for partner, days in ((self.consumer, 5), (self.business, 15)):
            self._invoice(partner, 100.0, days)
        self._run()
        steps = self.env["debtor.care.dunning"].search([("company_id", "=", self.company.id)])
        self.assertGreaterEqual(len(steps), 2)
        steps[:1].case_id.user_id = False  # one from the company's address
        template = self.env.ref("debtor_care.mail_template_reminder_gentle")
        template.subject = "{{ object.case_id.name }} for {{ object.partner_id.name.upper() }}"
        batch = template.with_context(debtor_care_render_batch=True)
        for field in ("email_from", "subject"):
            with self.subTest(field=field):
                rendered = batch._render_field(field, steps.ids)
                self.assertEqual(
                    rendered,
                    {step.id: template._render_field(field, step.ids)[step.id] for step in steps},
                )
        senders = batch._render_field("email_from", steps.ids)
        self.assertEqual(senders[steps[0].id], self.company.email_formatted)
        self.assertEqual(senders[steps[1].id], steps[1].case_id.user_id.email_formatted)
        self.assertTrue(steps[1].case_id.user_id.email)
        template.email_from = "{{ object.no_such_field }}"
        with self.assertRaises(UserError):
            batch._render_field("email_from", steps.ids)

    def test_reminder_links_are_rewritten_as_core_rewrites_them(self):
        """In a batch, a body without local links skips core's link rewriting: with or
        without them, the result is core's (absolute links, nothing else touched)."""
        self._invoice(self.consumer, 100.0, 5)
        self._run()
        step = self.env["debtor.care.dunning"].search([("partner_id", "=", self.consumer.id)])
        template = self.env.ref("debtor_care.mail_template_reminder_gentle")
        reminder = template._render_field("body_html", step.ids)[step.id]
        styled = '<p style="padding: 4px;">%s</p>'
        bodies = [reminder] + [
            Markup(styled % link)  # one kind of local link each
            for link in (
                '<a href="/my/home">home</a>',
                '<img src="/web/image/1">',
                '<td background="/bg.png"></td>',
                "<div style=\"background-image: url('/web/image/2')\"></div>",
            )
        ]
        for body in bodies:
            with self.subTest(body=body[-60:]):
                core = template._replace_local_links(body)
                with batch_memo.scope(self.env):
                    ours = template._replace_local_links(body)
                self.assertEqual(ours, core)
                self.assertIs(type(ours), type(core))
                self.assertEqual(core == body, body is reminder, "only local links change")
