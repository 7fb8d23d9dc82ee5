from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_round

from ..engine import rules
from . import clock
from .access import check_protected_fields, require_manager, require_user

FREQUENCIES = [("weekly", "Weekly"), ("biweekly", "Every two weeks"), ("monthly", "Monthly")]
STATES = [
    ("draft", "Draft"),
    ("proposed", "Proposed"),
    ("active", "Active"),
    ("completed", "Completed"),
    ("broken", "Broken"),
    ("cancelled", "Cancelled"),
]
LINE_STATES = [
    ("open", "Open"),
    ("partial", "Partly paid"),
    ("paid", "Paid"),
    ("late", "Late"),
    ("missed", "Missed"),
]
OPEN_STATES = ("draft", "proposed", "active")
# what the customer was offered or agreed: an invoice is in at most one of these
BINDING_STATES = ("proposed", "active")
# the life cycle and the acceptance belong to the methods that check who acts
ENGINE_FIELDS = frozenset(
    {
        "name",
        "state",
        "origin",
        "accepted_by",
        "accepted_on",
        "accepted_ip",
        "acceptance_channel",
        "acceptance_note",
        "date_start",
        "date_closed",
        "amount_paid",
        "access_token",
        # automatic payment (debtor_care_agreement_autopay.py): consent and charges
        "autopay_token_id",
        "autopay_state",
        "autopay_consent_on",
        "autopay_consent_by",
        "autopay_last_date",
        "autopay_last_result",
        "autopay_last_message",
    }
)
# what the customer agrees to: changes only while the agreement is a draft
DRAFT_FIELDS = frozenset(
    {
        "partner_id",
        "case_id",
        "company_id",
        "move_ids",
        "amount_total",
        "down_payment",
        "installment_count",
        "frequency",
        "first_date",
        "line_ids",
    }
)
LINE_ENGINE_FIELDS = frozenset(
    {
        "amount_paid",
        "state",
        "reminder_sent",
        "call_planned",
        "autopay_tx_id",
        "autopay_attempts",
        "autopay_next_try",
    }
)


class DebtorCareAgreement(models.Model):
    """An instalment agreement (Ratenzahlung) the customer accepts: a schedule tracked
    against the real payments of the invoices it covers."""

    _name = "debtor.care.agreement"
    _description = "Instalment Agreement"
    _inherit = ["portal.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(required=True, readonly=True, default="/", copy=False)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    case_id = fields.Many2one("debtor.care.case", index=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    # engine-owned (ENGINE_FIELDS): readonly, so forms never send them, and never copied
    state = fields.Selection(
        STATES, default="draft", required=True, tracking=True, index=True, readonly=True, copy=False
    )
    origin = fields.Selection(
        [("backoffice", "Back office"), ("call", "Call"), ("portal", "Portal")],
        default="backoffice",
        required=True,
        readonly=True,
        copy=False,
    )
    move_ids = fields.Many2many(
        "account.move",
        "debtor_care_agreement_move_rel",
        "agreement_id",
        "move_id",
        string="Covered Invoices",
        domain="[('partner_id', 'child_of', partner_id), ('move_type', '=', 'out_invoice'),"
        " ('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    amount_total = fields.Monetary(
        string="Total",
        compute="_compute_amount_total",
        store=True,
        readonly=False,
        help="The open amount of the covered invoices when the agreement was made.",
    )
    down_payment = fields.Monetary()
    installment_count = fields.Integer(string="Instalments", default=3)
    frequency = fields.Selection(FREQUENCIES, default="monthly", required=True)
    first_date = fields.Date(
        string="First Due Date",
        required=True,
        default=lambda self: clock.today(self) + timedelta(days=14),
    )
    line_ids = fields.One2many(
        "debtor.care.agreement.line", "agreement_id", string="Schedule", copy=True
    )
    amount_paid = fields.Monetary(readonly=True, copy=False)
    accepted_by = fields.Char(readonly=True, copy=False)
    accepted_on = fields.Datetime(readonly=True, copy=False)
    accepted_ip = fields.Char(string="Accepted From IP", readonly=True, copy=False)
    acceptance_channel = fields.Selection(
        [("portal", "Portal"), ("phone", "Phone"), ("paper", "Paper")], readonly=True, copy=False
    )
    acceptance_note = fields.Char(readonly=True, copy=False)
    date_start = fields.Date(readonly=True, copy=False)
    date_end = fields.Date(compute="_compute_date_end", store=True)
    date_closed = fields.Date(
        readonly=True, copy=False, help="When the plan was completed, broken or cancelled."
    )

    @api.depends("move_ids", "state")
    def _compute_amount_total(self):
        for agreement in self:
            if agreement.state == "draft":
                # the invoices as stored: on a draft in memory (the portal's plan form
                # and preview) the ORM would recompute every invoice's amounts and lines
                moves = agreement.move_ids._origin
                agreement.amount_total = sum(moves.mapped("amount_residual_signed"))

    @api.depends("line_ids.date_due")
    def _compute_date_end(self):
        for agreement in self:
            agreement.date_end = max(agreement.line_ids.mapped("date_due"), default=False)

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Instalment plan %s", self.name)

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for agreement in self:
            agreement.access_url = f"/my/payment-care/agreement/{agreement.id}"
        return result

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            check_protected_fields(self, vals, ENGINE_FIELDS)
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("debtor.care.agreement") or "/"
        return super().create(vals_list)

    def write(self, vals):
        check_protected_fields(self, vals, ENGINE_FIELDS)
        protected = {"accepted_by", "accepted_on", "accepted_ip", "acceptance_channel"}
        if protected & set(vals) and any(a.accepted_on for a in self):
            raise UserError(
                self.env._("An acceptance cannot be changed. Cancel the agreement instead.")
            )
        if not self.env.su and DRAFT_FIELDS & set(vals) and any(a.state != "draft" for a in self):
            raise UserError(self.env._("Only a draft agreement can be changed."))
        return super().write(vals)

    @api.constrains("move_ids", "partner_id", "company_id", "case_id")
    def _check_covered_invoices(self):
        """An agreement covers posted invoices of its own customer and company only."""
        for agreement in self:
            customer = agreement.partner_id.commercial_partner_id
            foreign = agreement.move_ids.filtered(
                lambda m, customer=customer, company=agreement.company_id: (
                    m.commercial_partner_id != customer
                    or m.company_id != company
                    or m.move_type != "out_invoice"
                    or m.state != "posted"
                )
            )
            if foreign:
                raise ValidationError(
                    self.env._(
                        "An agreement can only cover posted invoices of %(customer)s in "
                        "%(company)s: %(invoices)s is not one.",
                        customer=customer.display_name,
                        company=agreement.company_id.name,
                        invoices=", ".join(foreign.mapped("name")),
                    )
                )
            case = agreement.case_id
            if case and (case.partner_id != customer or case.company_id != agreement.company_id):
                raise ValidationError(
                    self.env._("The care case belongs to another customer or company.")
                )

    @api.constrains("move_ids", "state")
    def _check_one_open_agreement(self):
        """An invoice is covered by at most one proposed or active agreement (drafts are
        the accountant's work in progress and may overlap)."""
        self.flush_model(["state", "move_ids"])
        self.env.cr.execute(
            SQL(
                """
            SELECT m.name, other.name
              FROM debtor_care_agreement_move_rel mine
              JOIN debtor_care_agreement_move_rel theirs
                   ON theirs.move_id = mine.move_id AND theirs.agreement_id != mine.agreement_id
              JOIN debtor_care_agreement me ON me.id = mine.agreement_id
              JOIN debtor_care_agreement other ON other.id = theirs.agreement_id
              JOIN account_move m ON m.id = mine.move_id
             WHERE mine.agreement_id = ANY(%s)
               AND me.state = ANY(%s) AND other.state = ANY(%s)
             LIMIT 1
            """,
                self.ids,
                list(BINDING_STATES),
                list(BINDING_STATES),
            )
        )
        clash = self.env.cr.fetchone()
        if clash:
            raise ValidationError(
                self.env._(
                    "The invoice %(invoice)s is already covered by the agreement %(agreement)s.",
                    invoice=clash[0],
                    agreement=clash[1],
                )
            )

    def _period(self):
        return {
            "weekly": relativedelta(weeks=1),
            "biweekly": relativedelta(weeks=2),
            "monthly": relativedelta(months=1),
        }[self.frequency]

    def _check_limits(self):
        """Company limits: clear errors that change nothing."""
        self.ensure_one()
        company, today = self.company_id, clock.today(self)
        count = self.installment_count
        if not self.move_ids or self.currency_id.compare_amounts(self.amount_total, 0) <= 0:
            raise UserError(self.env._("Choose the open invoices the agreement covers."))
        if count < 1 or count > company.debtor_care_max_installments:
            raise UserError(
                self.env._(
                    "The number of instalments must be between 1 and %s.",
                    company.debtor_care_max_installments,
                )
            )
        if self.first_date < today:
            raise UserError(self.env._("The first due date cannot be in the past."))
        if (
            self.down_payment < 0
            or self.currency_id.compare_amounts(self.down_payment, self.amount_total) >= 0
        ):
            raise UserError(self.env._("The down payment must be less than the total."))
        installment = (self.amount_total - self.down_payment) / count
        if self.currency_id.compare_amounts(installment, company.debtor_care_min_installment) < 0:
            raise UserError(
                self.env._(
                    "Each instalment must be at least %s.",
                    self.currency_id.format(company.debtor_care_min_installment),
                )
            )
        last = self.first_date + self._period() * (count - 1 + (1 if self.down_payment else 0))
        if (last - today).days > company.debtor_care_max_duration_days:
            raise UserError(
                self.env._(
                    "The plan may last at most %s days.", company.debtor_care_max_duration_days
                )
            )

    def _prepare_schedule(self):
        """Equal instalments, the last one absorbs the rounding: 1000 in 3 gives
        333.33, 333.33, 333.34. A down payment comes first."""
        self.ensure_one()
        rounding = self.currency_id.rounding
        remaining = self.amount_total - self.down_payment
        count = self.installment_count
        each = float_round(remaining / count, precision_rounding=rounding, rounding_method="DOWN")
        lines, date, sequence = [], self.first_date, 1
        if self.down_payment:
            lines.append(
                {
                    "sequence": 0,
                    "date_due": date,
                    "amount": self.down_payment,
                    "is_down_payment": True,
                }
            )
            date += self._period()
        for index in range(count):
            amount = each if index < count - 1 else remaining - each * (count - 1)
            lines.append(
                {
                    "sequence": sequence + index,
                    "date_due": date,
                    "amount": self.currency_id.round(amount),
                }
            )
            date += self._period()
        return lines

    def action_generate_schedule(self):
        require_user(self.env)
        self.check_access("write")
        for agreement in self:
            if agreement.state != "draft":
                raise UserError(self.env._("Only a draft agreement can be changed."))
            agreement._check_limits()
            agreement.line_ids = [(5, 0, 0)] + [
                (0, 0, vals) for vals in agreement._prepare_schedule()
            ]
        return True

    def _check_schedule(self):
        self.ensure_one()
        if not self.line_ids:
            raise UserError(self.env._("Generate the schedule first."))
        if self.currency_id.compare_amounts(sum(self.line_ids.mapped("amount")), self.amount_total):
            raise UserError(
                self.env._(
                    "The instalments must add up exactly to the total of %s.",
                    self.currency_id.format(self.amount_total),
                )
            )

    def action_propose(self):
        """A manager offers the plan to the customer (e-mail with the PDF)."""
        require_manager(
            self.env, self.env._("Only a Payment Care manager can propose an agreement.")
        )
        self.check_access("write")
        for agreement in self.filtered(lambda a: a.state == "draft"):
            agreement._check_schedule()
            agreement.sudo().state = "proposed"
            agreement._send_mail(
                "debtor_care.mail_template_agreement_proposed", agreement._pdf_attachment()
            )
        return True

    def _accept(self, channel, name, note=None, ip=None):
        """The customer's acceptance: logged, never undone, only cancelled."""
        self.ensure_one()
        if self.state not in ("draft", "proposed"):
            raise UserError(self.env._("Only a draft or proposed agreement can be accepted."))
        if not (name or "").strip():
            raise UserError(self.env._("The name of the person accepting is required."))
        self._check_schedule()
        today = clock.today(self)
        self.sudo().write(
            {
                "state": "active",
                "accepted_by": name.strip()[:120],
                "accepted_on": fields.Datetime.now(),
                "accepted_ip": ip,
                "acceptance_channel": channel,
                "acceptance_note": (note or "")[:500],
                "date_start": today,
            }
        )
        self.message_post(
            body=self.env._(
                "Accepted by %(name)s (%(channel)s).",
                name=self.accepted_by,
                channel=dict(self._fields["acceptance_channel"].selection)[channel],
            )
        )
        case = self.case_id.sudo()
        if case and case.state in ("open", "paused"):
            case._pause(self.date_end + timedelta(days=1), "agreement", self.name)
        return True

    def action_cancel(self):
        """Withdraw a draft (any Payment Care user) or a proposed or active agreement (a
        manager: the customer relies on it)."""
        require_user(self.env)
        self.check_access("write")
        if any(a.state in ("proposed", "active") for a in self):
            require_manager(
                self.env,
                self.env._("Only a Payment Care manager can cancel a proposed or active plan."),
            )
        for agreement in self.filtered(lambda a: a.state in OPEN_STATES):
            was_active = agreement.state == "active"
            agreement.sudo().write({"state": "cancelled", "date_closed": clock.today(self)})
            agreement.message_post(
                body=self.env._("Agreement cancelled by %s.", self.env.user.name)
            )
            if was_active:
                agreement._resume_case(
                    self.env._("The agreement %s was cancelled.", agreement.name)
                )
        return True

    def _resume_case(self, message):
        case = self.case_id.sudo()
        if case.state == "paused" and case.pause_reason == "agreement":
            case._lift_pause(message)

    def _send_mail(self, template_xmlid, attachments=None):
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        partner = self.partner_id
        if template and partner._debtor_care_may_email():
            self.with_context(mail_notify_force_send=False).message_post_with_source(
                template,
                subtype_xmlid="mail.mt_comment",
                message_type="comment",
                partner_ids=partner.ids,
                attachment_ids=attachments.ids if attachments else [],
            )

    def _pdf_attachment(self):
        """The agreement as PDF, attached to it (a user action, not the nightly run).
        Without wkhtmltopdf the e-mail carries the portal link only."""
        self.ensure_one()
        try:
            content, _fmt = self.env["ir.actions.report"]._render_qweb_pdf(
                "debtor_care.action_report_agreement", self.ids
            )
        except UserError:
            return self.env["ir.attachment"]
        return self.env["ir.attachment"].create(
            {
                "name": f"{self.name.replace('/', '-')}.pdf",
                "raw": content,
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            }
        )

    def _amount_in_words(self):
        """The total in words, in the customer's language, as a contract writes it."""
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang or "en_US"
        if self.currency_id.name == "EUR":
            words = rules.euro_in_words(self.amount_total, lang)
            if words:
                return words
        return self.currency_id.with_context(lang=lang).amount_to_text(self.amount_total)

    def _next_instalment(self):
        """The first instalment not yet fully paid (False when all are)."""
        self.ensure_one()
        return self.line_ids.filtered(lambda line: line.state != "paid")[:1]

    def _transfer_details(self, qr="url"):
        """How to pay the next instalment by transfer: its open part; the reference names
        the plan and its invoices (the bank matching finds the invoices by their numbers)."""
        self.ensure_one()
        line = self._next_instalment()
        return self.env["res.partner.bank"]._debtor_care_payment_details(
            self.company_id,
            (line.amount - line.amount_paid) if line else 0.0,
            rules.transfer_reference(
                [self.name, *(move._debtor_care_reference() for move in self.move_ids)],
                self.name,
            ),
            self.partner_id,
            qr=qr,
            lang=self.partner_id.lang or self.env.lang,
        )
