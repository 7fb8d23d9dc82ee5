from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.debtor_care_policy import TONES

CHANNELS = [
    ("email", "E-mail"),
    ("call", "Call"),
    ("letter", "Letter"),
    ("task", "Manager task"),
    ("none", "No contact"),
]


class DebtorCareStepReport(models.Model):
    """Payment care steps by channel and tone: one row per step and channel used."""

    _name = "debtor.care.step.report"
    _description = "Payment Care: Steps by Channel and Tone"
    _auto = False
    _order = "date desc"
    _depends = {
        "debtor.care.dunning": [
            "action_call",
            "action_email",
            "action_letter",
            "action_task",
            "case_id",
            "company_id",
            "date",
            "level_id",
            "state",
            "tone",
        ],
        "debtor.care.case": ["partner_id", "user_id"],
    }

    step_id = fields.Many2one("debtor.care.dunning", string="Step", readonly=True)
    case_id = fields.Many2one("debtor.care.case", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    level_id = fields.Many2one("debtor.care.level", string="Level", readonly=True)
    date = fields.Date(readonly=True)
    tone = fields.Selection(TONES, readonly=True)
    state = fields.Selection(
        [("done", "Done"), ("skipped", "Skipped"), ("failed", "Failed")], readonly=True
    )
    channel = fields.Selection(CHANNELS, readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %s AS (
                SELECT d.id * 10 + ch.n AS id,
                       d.id AS step_id,
                       d.case_id,
                       d.company_id,
                       c.partner_id,
                       c.user_id,
                       d.level_id,
                       d.date,
                       d.tone,
                       d.state,
                       ch.channel
                  FROM debtor_care_dunning d
                  JOIN debtor_care_case c ON c.id = d.case_id
                 CROSS JOIN LATERAL (VALUES
                       (0, 'none', NOT (COALESCE(d.action_email, false)
                                        OR COALESCE(d.action_call, false)
                                        OR COALESCE(d.action_letter, false)
                                        OR COALESCE(d.action_task, false))),
                       (1, 'email', COALESCE(d.action_email, false)),
                       (2, 'call', COALESCE(d.action_call, false)),
                       (3, 'letter', COALESCE(d.action_letter, false)),
                       (4, 'task', COALESCE(d.action_task, false))
                 ) AS ch(n, channel, used)
                 WHERE ch.used
            )
            """,
                SQL.identifier(self._table),
            )
        )
