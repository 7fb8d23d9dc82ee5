from odoo import api, fields, models


class DebtorCareRun(models.Model):
    """One record per company and day: what the daily run did, so accountants can trust
    (and check) the nightly run."""

    _name = "debtor.care.run"
    _description = "Payment Care Daily Run"
    _order = "date desc, id desc"

    date = fields.Date(required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    synced = fields.Boolean(readonly=True, help="Cases were opened, refreshed and resolved.")
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")], default="running", readonly=True
    )
    cases_opened = fields.Integer(readonly=True)
    cases_resolved = fields.Integer(readonly=True)
    pauses_lifted = fields.Integer(readonly=True)
    steps_done = fields.Integer(compute="_compute_step_counts")
    steps_skipped = fields.Integer(compute="_compute_step_counts")
    steps_failed = fields.Integer(compute="_compute_step_counts")
    date_start = fields.Datetime(readonly=True, default=fields.Datetime.now)
    date_end = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("company_date_uniq", "UNIQUE(company_id, date)", "One daily run per company and day."),
    ]

    def _compute_step_counts(self):
        Dunning = self.env["debtor.care.dunning"]
        groups = Dunning._read_group(
            [("company_id", "in", self.company_id.ids), ("date", "in", self.mapped("date"))],
            ["company_id", "date:day", "state"],
            ["__count"],
        )
        counts = {(company.id, day, state): count for company, day, state, count in groups}
        for run in self:
            for state in ("done", "skipped", "failed"):
                run[f"steps_{state}"] = counts.get((run.company_id.id, run.date, state), 0)

    @api.model
    def _get_or_create(self, company, date):
        run = self.search([("company_id", "=", company.id), ("date", "=", date)], limit=1)
        return run or self.create({"company_id": company.id, "date": date})

    @api.model
    def _finish(self, date):
        self.search([("date", "=", date), ("state", "=", "running")]).write(
            {"state": "done", "date_end": fields.Datetime.now()}
        )
