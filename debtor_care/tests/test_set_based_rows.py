from datetime import timedelta

from markupsafe import Markup

from odoo.addons.mail.tests.common import MockEmail
from odoo.tests import tagged
from odoo.tools import SQL, html_sanitize

from .common import DebtorCareCommon

# what differs between two messages written one after the other, whoever writes them
VOLATILE = {"id", "message_id", "date", "create_date", "write_date", "read_date"}


@tagged("post_install", "-at_install")
class TestChatterRows(DebtorCareCommon, MockEmail):
    """The night writes its chatter entries and queued e-mails set-based in SQL
    (models/mail_message.py, mail_mail.py): the rows must be the ones Odoo's own
    mail.message / mail.mail create writes, so that the chatter, the portal, the mail
    queue and its status tracking treat them alike."""

    def setUp(self):
        super().setUp()
        self._invoice(self.consumer, 100.0, 5)
        self._run()
        self.case = self._case(self.consumer)
        self.assertTrue(self.case)

    def _rows(self, table, column, ids):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT * FROM %s WHERE %s = ANY(%s) ORDER BY id",
                SQL.identifier(table),
                SQL.identifier(column),
                list(ids),
            )
        )
        return [
            {key: value for key, value in row.items() if key not in VOLATILE}
            for row in self.env.cr.dictfetchall()
        ]

    def _relation(self, table, column, ids, other):
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM %s WHERE %s = ANY(%s) ORDER BY 1",
                SQL.identifier(other),
                SQL.identifier(table),
                SQL.identifier(column),
                list(ids),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def test_a_night_note_is_the_row_message_log_batch_writes(self):
        body = Markup("Payment care step “%s”.<br>Actions: E-mail") % "<Friendly>"
        orm = self.case._message_log_batch(bodies={self.case.id: body})
        before = set(self.case.message_ids.ids)
        self.case._log_notes({self.case.id: body})
        ours = self.case.message_ids.filtered(lambda m: m.id not in before)
        self.assertEqual(len(ours), 1, "the case's messages are read again after the insert")
        mine, theirs = (
            self._rows("mail_message", "id", ours.ids),
            self._rows("mail_message", "id", orm.ids),
        )
        # the body is written in the form Odoo's sanitiser gives it (not sanitised again)
        self.assertEqual(html_sanitize(mine[0].pop("body")), theirs[0].pop("body"))
        self.assertEqual(mine, theirs)
        self.assertEqual(ours.body, orm.body)
        self.assertIn("“&lt;Friendly&gt;”", ours.body, "values are escaped, the markup kept")

    def test_a_queued_email_is_the_rows_mail_create_writes(self):
        recipient, author = self.consumer, self.company.partner_id
        attachment = self.env["ir.attachment"].create({"name": "INV.pdf", "raw": b"%PDF"})
        message = {
            "model": self.case._name,
            "res_id": self.case.id,
            "record_name": self.case.display_name,
            "record_company_id": self.company.id,
            "message_type": "comment",
            "subtype_id": self.env.ref("mail.mt_comment").id,
            "subject": "A friendly reminder",
            "body": Markup("<p>E-mail to %s.</p>") % recipient.email,
            "author_id": author.id,
            "email_from": "shop@example.com",
            "reply_to": "shop@example.com",
        }
        mail = {"body_html": "<div>Hello Clara, <b>100.00 €</b></div>", "auto_delete": False}
        orm = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    **message,
                    **mail,
                    "partner_ids": [(4, recipient.id)],
                    "recipient_ids": [(4, recipient.id)],
                    "attachment_ids": [(6, 0, attachment.ids)],
                    "is_notification": True,
                    "notification_ids": [
                        (
                            0,
                            0,
                            {
                                "res_partner_id": recipient.id,
                                "author_id": author.id,
                                "notification_type": "email",
                                "notification_status": "ready",
                                "is_read": True,
                            },
                        )
                    ],
                }
            )
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE mail_notification SET mail_mail_id = %s WHERE mail_message_id = %s",
                orm.id,
                orm.mail_message_id.id,
            )
        )
        ours = (
            self.env["mail.mail"]
            .sudo()
            ._debtor_care_queue(
                [
                    {
                        **message,
                        **mail,
                        "partner_ids": [recipient.id],
                        "recipient_ids": [recipient.id],
                        "attachment_ids": attachment.ids,
                    }
                ]
            )
        )

        def compare(table, column, key):
            mine, theirs = (
                self._rows(table, column, [key(ours)]),
                self._rows(table, column, [key(orm)]),
            )
            for row in mine + theirs:  # the links themselves, compared apart
                row.pop("mail_message_id", None)
                row.pop("mail_mail_id", None)
            self.assertEqual(mine, theirs, table)

        compare("mail_message", "id", lambda m: m.mail_message_id.id)
        compare("mail_mail", "id", lambda m: m.id)
        compare("mail_notification", "mail_mail_id", lambda m: m.id)
        for table, column, other, key in (
            ("mail_message_res_partner_rel", "mail_message_id", "res_partner_id", "message"),
            ("message_attachment_rel", "message_id", "attachment_id", "message"),
            ("mail_mail_res_partner_rel", "mail_mail_id", "res_partner_id", "mail"),
        ):
            ids = {
                "message": lambda m: m.mail_message_id.ids,
                "mail": lambda m: m.ids,
            }[key]
            self.assertEqual(
                self._relation(table, column, ids(ours), other),
                self._relation(table, column, ids(orm), other),
                table,
            )
        self.assertEqual(ours.mail_message_id.notification_ids.mail_mail_id, ours)
        self.assertIn(ours.mail_message_id, self.case.message_ids)
        # the mail queue sends it like any other and tracks its status
        with self.mock_mail_gateway():
            ours.send(raise_exception=False)
        self.assertEqual(ours.mail_message_id.notification_ids.notification_status, "sent")
        self.assertEqual(len(self._mails), 1)
        self.assertIn("<b>100.00 €</b>", self._mails[0]["body"], "the body as written")
        self.assertEqual(self._mails[0]["email_to"], [recipient.email_formatted])

    def test_a_nights_step_is_the_row_create_writes(self):
        """The batch inserts its steps in one statement (debtor.care.dunning
        ._insert_steps): the same rows, links and related columns as create()."""
        Dunning = self.env["debtor.care.dunning"].sudo()
        second = self._invoice(self.consumer, 40.0, 9)
        decision = self.case._classify(self.today + timedelta(days=30))[self.case.id]
        self.assertTrue(decision.level, "a level is due a month later")
        lines = self.case._get_overdue_lines(self.today + timedelta(days=30))[self.case.id]
        self.assertEqual(len(lines), 2)
        values = Dunning._prepare_step_values(
            self.case, decision, self.today + timedelta(days=30), lines
        )
        orm = Dunning.create(dict(values))
        ours = Dunning._insert_steps([dict(values)])
        self.assertEqual(
            [
                {k: v for k, v in row.items() if k != "id"}
                for row in self._rows("debtor_care_dunning", "id", ours.ids)
            ],
            [
                {k: v for k, v in row.items() if k != "id"}
                for row in self._rows("debtor_care_dunning", "id", orm.ids)
            ],
        )
        self.assertEqual(ours.move_ids, orm.move_ids)
        self.assertEqual(ours.line_ids, orm.line_ids)
        self.assertIn(second, ours.move_ids)
        self.assertEqual(
            (ours.partner_id, ours.company_id, ours.stage),
            (self.consumer, self.company, decision.level.stage),
        )
        self.assertIn(ours, self.case.dunning_ids, "the case's steps are read again")

    def _new_case_vals(self, partner):
        """What the night's sync gives a new case of `partner`."""
        Case = self.env["debtor.care.case"].sudo()
        rows = Case._fetch_open_receivable_rows(self.company, [partner.id])
        agg = Case._aggregate_rows(Case._filter_dunnable_rows(rows), self.today)[partner.id]
        return {
            **Case._prepare_case_vals(partner, self.company, agg, self.today),
            **Case._experiment_vals(partner, self.consumer_policy, {}),
            "policy_id": self.consumer_policy.id,
            "user_id": self.rep.id,
        }

    def test_a_nights_case_is_the_row_create_writes(self):
        """The sync inserts its new cases in one statement (debtor.care.case
        ._insert_cases): the same row as create() with the sync's former context, the
        rep following and told of the assignment alike; only reference and token differ."""
        # as the scheduler runs it: the test class's context switches tracking off
        Case = (
            self.env["debtor.care.case"]
            .sudo()
            .with_context(tracking_disable=False, mail_notrack=False)
        )
        first, second = (
            self.env["res.partner"].create({"name": name, "email": f"{name}@example.com"})
            for name in ("first", "second")
        )
        other = self.setup_other_currency("CHF")
        for partner in (first, second):
            self._invoice(partner, 120.0, 9)
            self._invoice(partner, 30.25, 2, currency=other)
        orm = Case.with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(
            [self._new_case_vals(first)]
        )
        ours = Case._insert_cases([self._new_case_vals(second)])
        unique = {"id", "name", "access_token", "partner_id"}

        def row(case):
            (values,) = self._rows("debtor_care_case", "id", case.ids)
            return {key: value for key, value in values.items() if key not in unique}

        self.assertEqual(row(ours), row(orm))
        self.assertEqual(ours.currency_id, self.company.currency_id, "stored compute ran")
        self.assertTrue(ours.name.startswith(orm.name[:3]) and ours.name != orm.name)
        self.assertTrue(ours.access_token and ours.access_token != orm.access_token)
        self.assertIn(ours, second.debtor_care_case_ids, "the customer's cases are read again")
        self.assertEqual(
            ours.message_follower_ids.mapped(lambda f: (f.partner_id, f.subtype_ids)),
            orm.message_follower_ids.mapped(lambda f: (f.partner_id, f.subtype_ids)),
        )
        self.assertEqual(ours.message_partner_ids, self.rep.partner_id)
        self.assertEqual(
            ours.message_ids.mapped("message_type"), orm.message_ids.mapped("message_type")
        )
