from odoo.tests import TransactionCase, tagged
from odoo.tools import format_amount

from ..models import batch_memo


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
