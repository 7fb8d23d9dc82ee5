from datetime import datetime, time, timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import ValidationError

from . import batch_memo
from .next_action import decides_next_action


class ResCompany(models.Model):
    _inherit = "res.company"

    debtor_care_enabled = fields.Boolean(string="Payment Care Daily Run", default=True)
    debtor_care_policy_consumer_id = fields.Many2one(
        "debtor.care.policy",
        string="Default Policy for Consumers",
        domain="[('customer_type', '=', 'consumer')]",
        default=lambda self: self.env.ref(
            "debtor_care.debtor_care_policy_consumer_de", raise_if_not_found=False
        ),
    )
    debtor_care_policy_business_id = fields.Many2one(
        "debtor.care.policy",
        string="Default Policy for Businesses",
        domain="[('customer_type', '=', 'business')]",
        default=lambda self: self.env.ref(
            "debtor_care.debtor_care_policy_business_de", raise_if_not_found=False
        ),
    )
    debtor_care_user_id = fields.Many2one(
        "res.users",
        string="Default Responsible",
        help="Responsible for cases whose invoices and customer have no salesperson.",
    )
    debtor_care_manager_user_id = fields.Many2one(
        "res.users",
        string="Payment Care Manager",
        help="Receives the manager tasks (e.g. hand-over reviews).",
    )
    debtor_care_min_contact_gap = fields.Integer(string="Minimum Days Between Contacts", default=5)
    debtor_care_bad_debt_account_id = fields.Many2one(
        "account.account",
        string="Bad Debt Account",
        domain="[('account_type', 'in', ('expense', 'expense_other'))]",
        help="Where written-off claims are booked (e.g. SKR03 2400 / SKR04 6930).",
    )
    debtor_care_attach_invoices = fields.Boolean(
        string="Attach Invoice PDFs",
        default=True,
        help="Attach the invoices' existing PDFs to reminder e-mails.",
    )

    # empathy rules
    debtor_care_reliable_share = fields.Float(
        string="Reliable Payer From (%)",
        default=90.0,
        help="Share of invoices paid on time over the last 24 months from which a customer "
        "counts as a reliable payer and keeps the gentler tone one level longer.",
    )
    debtor_care_hardship_days = fields.Integer(string="Hardship Pause (Days)", default=30)
    debtor_care_support_retention_days = fields.Integer(
        string="Erase Support Details After (Days)",
        default=90,
        help="Hardship details are erased this many days after the customer's case resolved.",
    )
    debtor_care_debt_advice_url = fields.Char(
        string="Free Debt Advice",
        default="https://www.verbraucherzentrale.de",
        help="Pointed to in every written communication to a customer in hardship and in "
        "second and later reminders.",
    )
    debtor_care_thank_you = fields.Boolean(
        string="Thank-you E-mail",
        default=True,
        help="Thank the customer once when the case resolves by payment after a contact.",
    )
    debtor_care_max_delay_days = fields.Integer(
        string="More Time, at Most (Days)",
        default=30,
        help="How much more time a customer can be given without a payment plan.",
    )
    # instalment agreements
    debtor_care_max_installments = fields.Integer(string="Maximum Instalments", default=12)
    debtor_care_min_installment = fields.Monetary(
        string="Minimum Instalment", currency_field="currency_id", default=25.0
    )
    debtor_care_max_duration_days = fields.Integer(
        string="Maximum Plan Duration (Days)", default=365
    )
    debtor_care_auto_approve_plans = fields.Boolean(
        string="Approve Portal Plans Automatically",
        default=True,
        help="Plans proposed on the portal within the limits become active when accepted.",
    )
    debtor_care_agreement_grace_days = fields.Integer(string="Instalment Grace (Days)", default=5)
    debtor_care_agreement_breach_days = fields.Integer(
        string="Broken After (Days Missed)",
        default=14,
        help="An agreement breaks when one instalment is missed by more than this many days...",
    )
    debtor_care_agreement_breach_count = fields.Integer(
        string="...or When This Many Are Missed", default=2
    )
    # contact governor
    debtor_care_max_calls_7_days = fields.Integer(string="Call Attempts per 7 Days", default=7)
    debtor_care_call_rest_days = fields.Integer(
        string="No Call After a Conversation (Days)", default=7
    )
    # German law defaults
    debtor_care_invoice_mentions_default = fields.Boolean(
        string="Invoices Mention Default After 30 Days",
        help="BGB §286(3): consumers are in default 30 days after the due date only when the "
        "invoice says so; otherwise the first reminder puts them in default.",
    )
    debtor_care_letter_fee = fields.Monetary(
        string="Reminder Letter Fee (Consumers)",
        currency_field="currency_id",
        default=0.0,
        help="Material costs only; courts accepted about EUR 0.76-1.20. The reminder that puts "
        "the customer into default and all e-mails and calls stay free.",
    )
    debtor_care_book_interest = fields.Boolean(
        string="Book Default Interest",
        help="Off: interest is computed and shown in letters only. On: written reminders book "
        "the interest accrued since the last booking on the fee invoice.",
    )
    debtor_care_b2b_flat_fee = fields.Boolean(
        string="EUR 40 Flat Fee for Businesses", help="BGB §288(5): once per invoice in default."
    )
    # what a contact costs the shop, for the cost per case in the reports (not billed)
    debtor_care_cost_email = fields.Monetary(
        string="Cost per E-mail", currency_field="currency_id", default=0.05
    )
    debtor_care_cost_letter = fields.Monetary(
        string="Cost per Letter",
        currency_field="currency_id",
        default=1.50,
        help="Printing, envelope and postage.",
    )
    debtor_care_cost_call_minute = fields.Monetary(
        string="Cost per Call Minute",
        currency_field="currency_id",
        default=0.75,
        help="The rep's time per minute, with the phone line.",
    )
    debtor_care_call_minutes = fields.Integer(
        string="Minutes per Call Attempt",
        default=6,
        help="With preparation and logging the outcome; unreached attempts count alike.",
    )

    # counts and days that cannot be negative (a gap of -5 days or -3 instalments means
    # nothing): checked wherever they are written, settings, import or RPC
    _DEBTOR_CARE_NON_NEGATIVE = (
        "debtor_care_min_contact_gap",
        "debtor_care_hardship_days",
        "debtor_care_support_retention_days",
        "debtor_care_max_delay_days",
        "debtor_care_max_duration_days",
        "debtor_care_agreement_grace_days",
        "debtor_care_agreement_breach_days",
        "debtor_care_agreement_breach_count",
        "debtor_care_max_calls_7_days",
        "debtor_care_call_rest_days",
        "debtor_care_min_installment",
        "debtor_care_letter_fee",
        "debtor_care_cost_email",
        "debtor_care_cost_letter",
        "debtor_care_cost_call_minute",
        "debtor_care_call_minutes",
    )

    @api.constrains(
        *_DEBTOR_CARE_NON_NEGATIVE, "debtor_care_max_installments", "debtor_care_reliable_share"
    )
    def _check_debtor_care_values(self):
        for company in self:
            negative = [
                company._fields[name].get_description(self.env)["string"]
                for name in self._DEBTOR_CARE_NON_NEGATIVE
                if (company[name] or 0) < 0
            ]
            if negative:
                raise ValidationError(
                    self.env._(
                        "These payment care settings cannot be negative: %s.", ", ".join(negative)
                    )
                )
            if company.debtor_care_max_installments < 1:
                raise ValidationError(self.env._("A payment plan has at least one instalment."))
            if not 0 <= company.debtor_care_reliable_share <= 100:
                raise ValidationError(
                    self.env._("The reliable payer share is a percentage (0-100).")
                )

    def write(self, vals):
        result = super().write(vals)
        if decides_next_action(self, vals):
            # steps become due on other dates: the daily run must look at them again
            self.env["debtor.care.case"]._refresh_open_cases([("company_id", "in", self.ids)])
        return result

    @api.model
    def _debtor_care_fill_default_policies(self):
        """At install: the companies' settings show the shipped German policies (the
        engine used them anyway) instead of empty fields."""
        for field, xmlid in (
            ("debtor_care_policy_consumer_id", "debtor_care.debtor_care_policy_consumer_de"),
            ("debtor_care_policy_business_id", "debtor_care.debtor_care_policy_business_de"),
        ):
            policy = self.env.ref(xmlid, raise_if_not_found=False)
            if policy:
                self.sudo().search([(field, "=", False)]).write({field: policy.id})

    def _get_debtor_care_default_policy(self, customer_type):
        self.ensure_one()
        policy = (
            self.debtor_care_policy_business_id
            if customer_type == "business"
            else self.debtor_care_policy_consumer_id
        )
        if policy:
            return policy
        xmlid = f"debtor_care.debtor_care_policy_{customer_type or 'consumer'}_de"
        # the cached look-up (env.ref() queries; this runs for every customer of the sync)
        policy_id = self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False)
        return self.env["debtor.care.policy"].browse(policy_id)

    def _debtor_care_is_working_day(self, day):
        """Contacts only on working days of the company calendar: no weekends off the
        calendar, no Sundays, no public holidays (global leaves)."""
        self.ensure_one()
        return batch_memo.remembered(
            self.env, ("working_day", self.id, day), lambda: self._debtor_care_works_on(day)
        )

    def _debtor_care_works_on(self, day):
        if day.weekday() == 6:
            return False
        calendar = self.resource_calendar_id
        if not calendar:
            return True
        if not calendar._works_on_date(day):
            return False
        start, end = datetime.combine(day, time.min), datetime.combine(day, time.max)
        return not calendar.global_leave_ids.filtered(
            lambda leave: leave.date_from <= end and leave.date_to >= start
        )

    def _debtor_care_worker(self, *candidates, fallback=True):
        """Who gets a payment care task: the first candidate who can work it (an active
        internal user, never OdooBot, the demo invoices' salesperson, nor a portal user),
        else the configured responsible, else (`fallback`) the current user. The one home
        of this choice: call tasks, manager tasks, disputes, new cases."""
        self.ensure_one()
        key = ("worker", self.id, tuple(user.id for user in candidates), fallback, self.env.uid)
        worker = batch_memo.remembered(  # the night asks this for every new case
            self.env, key, lambda: self._debtor_care_first_worker(candidates, fallback)
        )
        return worker.with_env(self.env)

    def _debtor_care_first_worker(self, candidates, fallback):
        for user in (*candidates, self.debtor_care_user_id):
            # SUPERUSER_ID is OdooBot (base.user_root); compared by id: no query per case
            if user and user.id != SUPERUSER_ID and user.active and not user.share:
                return user
        return self.env.user if fallback else self.env["res.users"]

    def _debtor_care_next_working_day(self, day):
        """The day itself if it is a working day, else the next one."""
        self.ensure_one()
        for offset in range(31):
            candidate = day + timedelta(days=offset)
            if self._debtor_care_is_working_day(candidate):
                return candidate
        return day
