from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..models.debtor_care_call import CALL_REASONS
from ..models.debtor_care_case import CASE_STATES, RESOLUTIONS
from ..models.debtor_care_experiment import EXPERIMENT_ARMS
from ..models.debtor_care_policy import TONES

FIRST_CHANNELS = [("call", "Call first"), ("written", "Written first"), ("none", "No contact yet")]
# customers are compared over the same span before their case and after it
BEHAVIOUR_DAYS = 180


def retained_condition(case):
    """A customer who bought again within 180 days of the case's resolution (the
    retention of the README's key figures), for the case alias `case`."""
    return SQL(
        """EXISTS (SELECT 1 FROM account_move rm
                    WHERE rm.commercial_partner_id = %(c)s.partner_id
                      AND rm.company_id = %(c)s.company_id
                      AND rm.move_type = 'out_invoice' AND rm.state = 'posted'
                      AND rm.invoice_date > %(c)s.date_resolved
                      AND rm.invoice_date <= %(c)s.date_resolved + %(days)s)""",
        c=SQL.identifier(case),
        days=BEHAVIOUR_DAYS,
    )


class DebtorCareCaseOutcome(models.Model):
    """What came of each care case: the one home of the outcome figures that the
    reports, the key figures and the policy experiments compare (cure, days to cure,
    first channel and tone, contacts and their cost, money collected, disputes, the
    customer's payment behaviour before and after). One row per case, read live."""

    _name = "debtor.care.case.outcome"
    _description = "Payment Care: Case Outcomes"
    _auto = False
    _order = "date_opened desc"
    _depends = {
        "debtor.care.case": [
            "company_id",
            "date_opened",
            "date_resolved",
            "experiment_arm",
            "experiment_id",
            "late_reason",
            "partner_id",
            "policy_id",
            "resolution",
            "state",
            "user_id",
        ],
        "debtor.care.dunning": ["action_call", "action_email", "action_letter", "state", "tone"],
        "debtor.care.call": ["case_id", "date", "outcome"],
        "account.move": ["debtor_care_case_id", "debtor_care_dispute_state"],
    }

    case_id = fields.Many2one("debtor.care.case", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    policy_id = fields.Many2one("debtor.care.policy", string="Policy", readonly=True)
    experiment_id = fields.Many2one("debtor.care.experiment", string="Experiment", readonly=True)
    experiment_arm = fields.Selection(EXPERIMENT_ARMS, readonly=True)
    state = fields.Selection(CASE_STATES, readonly=True)
    resolution = fields.Selection(RESOLUTIONS, readonly=True)
    late_reason = fields.Selection(CALL_REASONS, string="Reason for Paying Late", readonly=True)
    date_opened = fields.Date(string="Opened", readonly=True)
    date_resolved = fields.Date(string="Closed", readonly=True)
    first_channel = fields.Selection(FIRST_CHANNELS, readonly=True)
    first_tone = fields.Selection(TONES, readonly=True)
    closed = fields.Integer(string="Closed Cases", readonly=True)
    cured = fields.Integer(string="Paid Cases", readonly=True)
    # 100 or 0 per closed case, empty while open: their average is the rate
    cure_rate = fields.Float(string="Cure Rate (%)", aggregator="avg", readonly=True)
    days_to_cure = fields.Float(string="Days to Cure", aggregator="avg", readonly=True)
    emails = fields.Integer(string="E-mails", readonly=True)
    letters = fields.Integer(readonly=True)
    calls = fields.Integer(string="Call Attempts", readonly=True)
    cost = fields.Monetary(readonly=True)
    amount_collected = fields.Monetary(string="Collected", readonly=True)
    disputed = fields.Integer(string="Disputed Cases", readonly=True)
    dispute_rate = fields.Float(string="Dispute Rate (%)", aggregator="avg", readonly=True)
    ontime_before = fields.Float(
        string="On Time Before (%)",
        aggregator="avg",
        readonly=True,
        help="Share of the customer's invoices due in the 180 days before the case that "
        "were paid in full by their due date.",
    )
    ontime_after = fields.Float(
        string="On Time After (%)",
        aggregator="avg",
        readonly=True,
        help="The same for the 180 days after the case was resolved, once they are over.",
    )
    paid_better = fields.Float(
        string="Pay Better After (%)",
        aggregator="avg",
        readonly=True,
        help="100 where the on-time share after the case is higher than before it.",
    )

    # the rates the experiments test: (successes, out of)
    RATES = {
        "cure_rate": ("cured", "closed"),
        "dispute_rate": ("disputed", "cases"),
        "retention_rate": ("retained", "window_ended"),
    }

    @staticmethod
    def _ontime_sql(start, end):
        """Paid in full by the due date, in % of the customer's invoices due in the
        window (NULL without such invoices)."""
        return SQL(
            """(SELECT 100.0 * COUNT(*) FILTER (WHERE im.amount_residual = 0 AND COALESCE(
                           (SELECT MAX(apr.max_date) FROM account_move_line il
                              JOIN account_partial_reconcile apr ON apr.debit_move_id = il.id
                             WHERE il.move_id = im.id), im.invoice_date_due)
                           <= im.invoice_date_due) / NULLIF(COUNT(*), 0)
                  FROM account_move im
                 WHERE im.commercial_partner_id = c.partner_id AND im.company_id = c.company_id
                   AND im.move_type = 'out_invoice' AND im.state = 'posted'
                   AND im.invoice_date_due > %s AND im.invoice_date_due <= %s)""",
            start,
            end,
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        days = BEHAVIOUR_DAYS
        before = self._ontime_sql(SQL("c.date_opened - %s - 1", days), SQL("c.date_opened - 1"))
        after = self._ontime_sql(SQL("c.date_resolved"), SQL("c.date_resolved + %s", days))
        self.env.cr.execute(
            SQL(
                """
            CREATE VIEW %(table)s AS (
            WITH base AS (
                SELECT c.id, c.id AS case_id, c.company_id, co.currency_id, c.partner_id,
                       c.user_id, c.policy_id, c.experiment_id, c.experiment_arm, c.state,
                       c.resolution, c.late_reason, c.date_opened, c.date_resolved,
                       -- a call before any reminder, or a first step that calls
                       CASE WHEN fc.first_call IS NOT NULL
                                 AND (fs.date IS NULL OR fc.first_call <= fs.date) THEN 'call'
                            WHEN fs.action_call THEN 'call'
                            WHEN fs.date IS NOT NULL THEN 'written'
                            ELSE 'none' END AS first_channel,
                       fs.tone AS first_tone,
                       (c.state IN ('resolved', 'cancelled'))::int AS closed,
                       COALESCE(c.resolution = 'paid', FALSE)::int AS cured,
                       CASE WHEN c.state IN ('resolved', 'cancelled')
                            THEN CASE WHEN c.resolution = 'paid' THEN 100.0 ELSE 0.0 END
                       END AS cure_rate,
                       CASE WHEN c.resolution = 'paid' THEN c.date_resolved - c.date_opened
                       END AS days_to_cure,
                       COALESCE(st.emails, 0) AS emails,
                       COALESCE(st.letters, 0) AS letters,
                       COALESCE(fc.calls, 0) AS calls,
                       COALESCE(st.emails, 0) * COALESCE(co.debtor_care_cost_email, 0)
                         + COALESCE(st.letters, 0) * COALESCE(co.debtor_care_cost_letter, 0)
                         + COALESCE(fc.calls, 0) * COALESCE(co.debtor_care_call_minutes, 0)
                           * COALESCE(co.debtor_care_cost_call_minute, 0) AS cost,
                       COALESCE(col.amount, 0) AS amount_collected,
                       (EXISTS (SELECT 1 FROM account_move dm
                                 WHERE dm.debtor_care_case_id = c.id
                                   AND dm.debtor_care_dispute_state IS NOT NULL)
                        OR fc.disputes > 0)::int AS disputed,
                       %(before)s AS ontime_before,
                       CASE WHEN c.state = 'resolved'
                                 AND c.date_resolved + %(days)s <= CURRENT_DATE
                            THEN %(after)s END AS ontime_after
                  FROM debtor_care_case c
                  JOIN res_company co ON co.id = c.company_id
                  LEFT JOIN LATERAL (
                       SELECT COUNT(*) FILTER (WHERE d.action_email) AS emails,
                              COUNT(*) FILTER (WHERE d.action_letter) AS letters
                         FROM debtor_care_dunning d
                        WHERE d.case_id = c.id AND d.state = 'done') st ON TRUE
                  LEFT JOIN LATERAL (
                       SELECT d.date, d.tone, d.action_call
                         FROM debtor_care_dunning d
                        WHERE d.case_id = c.id AND d.state = 'done'
                          AND (d.action_email OR d.action_letter OR d.action_call)
                        ORDER BY d.date, d.id LIMIT 1) fs ON TRUE
                  LEFT JOIN LATERAL (
                       SELECT COUNT(*) AS calls, MIN(k.date)::date AS first_call,
                              COUNT(*) FILTER (WHERE k.outcome = 'dispute') AS disputes
                         FROM debtor_care_call k WHERE k.case_id = c.id) fc ON TRUE
                  -- payments (not credit notes) on the case's invoices since it opened
                  LEFT JOIN LATERAL (
                       SELECT SUM(apr.amount) AS amount
                         FROM account_move im
                         JOIN account_move_line dl ON dl.move_id = im.id
                         JOIN account_partial_reconcile apr ON apr.debit_move_id = dl.id
                         JOIN account_move_line cl ON cl.id = apr.credit_move_id
                         JOIN account_move cm ON cm.id = cl.move_id
                        WHERE im.debtor_care_case_id = c.id
                          AND cm.move_type NOT IN ('out_refund', 'out_invoice')
                          AND apr.max_date >= c.date_opened) col ON TRUE
            )
            SELECT base.*,
                   CASE WHEN disputed = 1 THEN 100.0 ELSE 0.0 END AS dispute_rate,
                   CASE WHEN ontime_before IS NOT NULL AND ontime_after IS NOT NULL
                        THEN CASE WHEN ontime_after > ontime_before THEN 100.0 ELSE 0.0 END
                   END AS paid_better
              FROM base
            )
            """,
                table=SQL.identifier(self._table),
                before=before,
                after=after,
                days=days,
            )
        )

    # ------------------------------------------------------------------ reading
    # The view's correlated subqueries make PostgreSQL's planner expect a costly query,
    # so it JIT-compiles it: 3.5 s of compiling for a 20 ms query (EXPLAIN ANALYZE on the
    # 10k bench book). Reads of the view switch JIT off for their transaction.
    @api.model
    def _no_jit(self):
        self.env.cr.execute("SET LOCAL jit = off")

    @api.model
    def _read_group(self, *args, **kwargs):
        self._no_jit()
        return super()._read_group(*args, **kwargs)

    def search_fetch(self, *args, **kwargs):
        self._no_jit()
        return super().search_fetch(*args, **kwargs)

    # ------------------------------------------------------------------ figures
    @api.model
    def _empty_figures(self):
        return dict.fromkeys(
            (
                "cases",
                "closed",
                "cured",
                "median_days_to_cure",
                "collected",
                "collected_per_case",
                "cost",
                "cost_per_case",
                "disputed",
                "window_ended",
                "retained",
            ),
            0,
        )

    @api.model
    def _figures_by(self, domain, group_field, today):
        """The outcome figures of the cases in `domain` (with the record rules), per
        value of `group_field`: counts, medians and per-case averages."""
        self.env.flush_all()
        self._no_jit()
        query = self._search(domain)
        group = SQL.identifier(self._table, group_field)
        table = SQL.identifier(self._table)
        self.env.cr.execute(
            SQL(
                """SELECT %(group)s, COUNT(*), SUM(closed), SUM(cured),
                          percentile_cont(0.5) WITHIN GROUP (ORDER BY days_to_cure),
                          SUM(amount_collected), SUM(cost), SUM(disputed),
                          COUNT(*) FILTER (WHERE %(table)s.state = 'resolved'
                                             AND %(table)s.date_resolved + %(days)s <= %(today)s),
                          COUNT(*) FILTER (WHERE %(table)s.state = 'resolved'
                                             AND %(table)s.date_resolved + %(days)s <= %(today)s
                                             AND %(retained)s)
                     FROM %(from)s
                    WHERE %(where)s
                    GROUP BY %(group)s""",
                group=group,
                table=table,
                days=BEHAVIOUR_DAYS,
                today=today,
                retained=retained_condition(self._table),
                **{"from": query.from_clause, "where": query.where_clause or SQL("TRUE")},
            )
        )
        figures = {}
        for (
            key,
            cases,
            closed,
            cured,
            median,
            collected,
            cost,
            disputed,
            ended,
            retained,
        ) in self.env.cr.fetchall():
            figures[key] = {
                "cases": cases,
                "closed": closed,
                "cured": cured,
                "median_days_to_cure": median or 0.0,
                "collected": collected or 0.0,
                "collected_per_case": (collected or 0.0) / cases,
                "cost": cost or 0.0,
                "cost_per_case": (cost or 0.0) / cases,
                "disputed": disputed,
                "window_ended": ended,
                "retained": retained,
            }
        return figures
