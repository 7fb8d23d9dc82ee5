import math
from datetime import timedelta

from werkzeug.exceptions import NotFound
from werkzeug.urls import url_encode

from odoo import fields, http
from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from ..models.debtor_care_case_portal import (
    PORTAL_LATE_REASONS,
    PROBLEM_REASONS,
    PortalInputError,
)

# each form of the care page and its inputs (kept in the form when it comes back with an error)
FORM_FIELDS = {
    "paid": ("date", "amount", "reference"),
    "call": ("phone", "day", "hour_from", "hour_to"),
    "time": ("date", "late_reason"),
    "plan": ("count", "first_date", "late_reason"),
    "problem": ("move_id", "reason", "message"),
    "situation": ("category",),
}
ACTIONS = tuple(FORM_FIELDS)
CARE_PAGE_STEP = 20  # open invoices per page of the care page
# what the page says after an action comes from the server, never from the URL: the
# outcome travels in the visitor's session (a link cannot carry words onto our page)
FLASH_KEY = "debtor_care_flash"


class DebtorCarePortal(PortalAccount):
    """Extends core's invoice portal (account_payment's, itself a CustomerPortal), so our
    overrides of its overdue page come first whatever the import order.

    The customer's payment care page: what is open, pay, explain, ask for time or a
    call, propose a plan, accept an agreement. Every action re-checks access server-side."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "debtor_care_count" in counters:
            Case = request.env["debtor.care.case"]
            values["debtor_care_count"] = (
                Case.search_count([("state", "in", ("open", "paused"))], limit=1)
                if request.env.user.share and Case.has_access("read")
                else 0
            )
        return values

    def _pay_all_url(self, case):
        """Core's "pay all overdue" page, for a logged-in customer whose overdue invoices
        it can take in one payment (one company, one currency)."""
        user = request.env.user
        if user._is_public() or user.partner_id.commercial_partner_id != case.partner_id:
            return False
        Move = request.env["account.move"]
        if not Move.has_access("read"):
            return False
        overdue = Move.search(self._get_overdue_invoices_domain())
        if overdue and len(overdue.company_id) == 1 and len(overdue.currency_id) == 1:
            return "/my/invoices/overdue"
        return False

    def _overdue_invoices_get_page_view_values(self, overdue_invoices, **kwargs):
        """Core's overdue page also offers the care page: time, a plan or a call."""
        values = super()._overdue_invoices_get_page_view_values(overdue_invoices, **kwargs)
        if overdue_invoices and request.env["debtor.care.case"].has_access("read"):
            values["debtor_care_case"] = request.env["debtor.care.case"].search(
                [
                    ("partner_id", "=", overdue_invoices[0].commercial_partner_id.id),
                    ("company_id", "=", overdue_invoices[0].company_id.id),
                    ("state", "in", ("open", "paused")),
                ],
                limit=1,
            )
        return values

    def _care_record(self, model, record_id, access_token):
        """The customer's own case or agreement (by login or token), in sudo; anything
        else is a 404 that says nothing about whether the record exists. The record
        rules let a portal user read only their commercial partner's records; internal
        users never get here (_is_internal: they work in the back office)."""
        try:
            record = self._document_check_access(model, record_id, access_token)
        except (AccessError, MissingError):
            raise NotFound() from None
        self._speak_customer_language(record.partner_id)
        # "today" on the customer's page is the customer's today, not the superuser's
        return record.with_context(tz=record.partner_id.tz or "UTC", lang=request.env.lang)

    @staticmethod
    def _speak_customer_language(partner):
        """A visitor with a token link is the customer it was sent to: the page speaks
        the customer's language (a logged-in customer has their own user language)."""
        lang = partner.lang
        if request.env.user._is_public() and lang and lang != request.env.lang:
            if request.env["res.lang"]._get_data(code=lang):
                request.update_context(lang=lang)

    @staticmethod
    def _page_lang():
        return (request.env.lang or "en_US").replace("_", "-")

    def _care_case(self, case_id, access_token):
        return self._care_record("debtor.care.case", case_id, access_token)

    @staticmethod
    def _is_internal():
        """Employees do not act as the customer: the portal routes send them to the
        record's back-office form instead, whatever they can read."""
        return not request.env.user._is_public() and not request.env.user.share

    @staticmethod
    def _backoffice(model, record_id):
        return request.redirect(f"/odoo/{model}/{int(record_id)}")

    def _link_closed(self):
        """A link that leads nowhere (expired with its closed case, or never valid): a
        friendly page, with the 404 status, that says nothing untrue."""
        response = request.render(
            "debtor_care.portal_care_nothing",
            {
                **self._prepare_portal_layout_values(),
                "page_name": "payment_care",
                "page_lang": self._page_lang(),
                "link_closed": True,
            },
        )
        response.status_code = 404
        return response

    @staticmethod
    def _flash(**values):
        request.session[FLASH_KEY] = values

    @staticmethod
    def _pop_flash(record):
        flash = request.session.pop(FLASH_KEY, None) or {}
        if flash.get("record") != f"{record._name},{record.id}":
            return {}
        return flash

    @http.route("/my/payment-care", type="http", auth="user", website=True)
    def portal_my_payment_care(self, **kw):
        if self._is_internal():
            return request.redirect("/odoo/action-debtor_care.debtor_care_case_action")
        case = request.env["debtor.care.case"].search(
            [("state", "in", ("open", "paused"))], order="id desc", limit=1
        )
        if case:
            return request.redirect(f"/my/payment-care/{case.id}")
        return request.render(
            "debtor_care.portal_care_nothing",
            {
                **self._prepare_portal_layout_values(),
                "page_name": "payment_care",
                "page_lang": self._page_lang(),
            },
        )

    @http.route(
        ["/my/payment-care/<int:case_id>", "/my/payment-care/<int:case_id>/page/<int:page>"],
        type="http",
        auth="public",
        website=True,
    )
    def portal_payment_care(self, case_id, access_token=None, page=1, **kw):
        if self._is_internal():
            return self._backoffice("debtor.care.case", case_id)
        try:
            case = self._care_case(case_id, access_token)
        except NotFound:
            return self._link_closed()
        if case.state not in ("open", "paused"):
            return self._link_closed()
        return request.render(
            "debtor_care.portal_care_page",
            self._care_page_values(case, access_token, self._pop_flash(case), page=page),
        )

    def _form_values(self, case, plan_count, plan_first_date, flash):
        """What each form shows: its defaults, or what the visitor typed when it came
        back with an error."""
        values = {
            "call": {
                "phone": case.partner_id.phone or "",
                "day": "",
                "hour_from": "9",
                "hour_to": "12",
            },
            "time": {"date": "", "late_reason": ""},
            "plan": {"count": str(plan_count), "first_date": plan_first_date, "late_reason": ""},
            "paid": {"date": "", "amount": "", "reference": ""},
            "problem": {"move_id": "", "reason": "", "message": ""},
            "situation": {"category": ""},
        }
        form = flash.get("form")
        if form in values:
            values[form].update(flash.get("values") or {})
        return values

    def _care_page_values(self, case, access_token, flash=None, page=1):
        flash = flash or {}
        today = case._today()
        lines = case._get_overdue_lines(today)[case.id]
        Move = request.env["account.move"].sudo()
        domain = [
            # child_of reads through the moves' indexed partner (no scan of the whole book)
            ("partner_id", "child_of", case.partner_id.id),
            ("commercial_partner_id", "=", case.partner_id.id),
            ("company_id", "=", case.company_id.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
        ]
        # a customer with hundreds of open invoices gets them page by page
        pager = portal_pager(
            url=f"/my/payment-care/{case.id}",
            url_args={"access_token": access_token} if access_token else None,
            total=Move.search_count(domain),
            page=page,
            step=CARE_PAGE_STEP,
        )
        open_moves = Move.search(
            domain, order="invoice_date_due, id", limit=CARE_PAGE_STEP, offset=pager["offset"]
        )
        open_total = sum(
            row["amount_residual"]
            for row in Move.search_read(domain, ["amount_residual"], load=False)
        )
        plan_first_date = (today + timedelta(days=14)).isoformat()
        plan_count = case._portal_default_plan_count(today + timedelta(days=14))
        form = flash.get("form")
        field = flash.get("field")
        credit = case._open_credit()
        agreements = case.agreement_ids.filtered(
            lambda a: a.state in ("proposed", "active")
            or (a.state, a.origin) == ("draft", "portal")
        )
        return {
            **self._prepare_portal_layout_values(),
            "page_name": "payment_care",
            "case": case,
            "access_token": access_token,
            "overdue_lines": lines,
            "open_moves": open_moves,
            "pager": pager,
            # every open invoice can be the one a problem is about (names only)
            "move_choices": Move.search_read(domain, ["name"], order="invoice_date_due, id"),
            "today": today,
            "agreements": agreements,
            "promises": case.promise_ids.filtered(lambda p: p.state == "pending"),
            "next_step": case._portal_next_step_text(),
            "done": flash.get("done") in ACTIONS and flash["done"],
            "done_message": flash.get("message")
            or request.env._("Thank you, we have received your message."),
            "form_error": {"form": form, "field": field, "message": flash.get("error")}
            if flash.get("error")
            else {},
            "invalid": {f"{form}.{field}"} if flash.get("error") and field else set(),
            "form_values": self._form_values(case, plan_count, plan_first_date, flash),
            "overdue_total": sum(lines.mapped("amount_residual")),
            "open_total": open_total,
            "open_credit": credit,
            "payment": case._transfer_details(lines, credits=credit),
            "invoice_payments": {
                move.id: case._invoice_transfer_details(move) for move in open_moves
            },
            "page_lang": self._page_lang(),
            "problem_reasons": [(key, str(label)) for key, label in PROBLEM_REASONS],
            "late_reasons": [(key, str(label)) for key, label in PORTAL_LATE_REASONS],
            "hardship_reasons": request.env["res.partner"]
            ._fields["debtor_care_hardship_reason"]
            ._description_selection(request.env),
            "max_days": case.company_id.debtor_care_max_delay_days,
            "max_installments": case.company_id.debtor_care_max_installments,
            "pay_all_url": self._pay_all_url(case),
        }

    @http.route(
        "/my/payment-care/<int:case_id>/<string:action>",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_payment_care_action(self, case_id, action, access_token=None, **post):
        if self._is_internal():
            return self._backoffice("debtor.care.case", case_id)
        case = self._care_case(case_id, access_token)
        query = {"access_token": access_token} if access_token else {}
        if action not in ACTIONS or case.state not in ("open", "paused"):
            return request.redirect(f"/my/payment-care/{case.id}?{url_encode(query)}")
        record = f"{case._name},{case.id}"
        try:
            with request.env.cr.savepoint():
                message = getattr(self, f"_care_action_{action}")(case, post)
            self._flash(record=record, done=action, message=message)
        except (UserError, ValueError) as error:
            self._flash(
                record=record,
                form=action,
                field=getattr(error, "field", None),
                error=str(error.args[0] if error.args else error),
                values={key: str(post.get(key) or "")[:1000] for key in FORM_FIELDS[action]},
            )
        return request.redirect(f"/my/payment-care/{case.id}?{url_encode(query)}")

    @http.route(
        "/my/payment-care/<int:case_id>/plan/preview", type="json", auth="public", website=True
    )
    def portal_payment_care_plan_preview(
        self, case_id, count=None, first_date=None, access_token=None, **kw
    ):
        """The schedule a plan would get, for the live preview next to the form."""
        if self._is_internal():
            raise NotFound()
        case = self._care_case(case_id, access_token)
        try:
            return case._portal_plan_preview(
                self._number({"count": count}, "count", int),
                self._date({"first_date": first_date}, "first_date"),
            )
        except UserError as error:
            return {"error": str(error.args[0])}

    @staticmethod
    def _date(post, field):
        value = post.get(field)
        try:
            day = fields.Date.to_date(value) if value else False
        except (TypeError, ValueError):
            day = None
        if day is None or (day and not 2000 <= day.year <= 2100):
            raise PortalInputError(request.env._("Please enter a valid date."), field)
        return day

    @staticmethod
    def _number(post, field, kind=float):
        value = post.get(field)
        try:
            number = kind(value) if value not in (None, "") else 0
        except (TypeError, ValueError, OverflowError):
            number = None
        if number is None or not math.isfinite(number) or abs(number) > 1e12:
            raise PortalInputError(request.env._("Please enter a valid number."), field)
        return number

    # each returns the confirmation the page shows, worded from what was recorded
    def _care_action_paid(self, case, post):
        return case._portal_report_paid(
            self._date(post, "date"), self._number(post, "amount"), post.get("reference")
        )

    def _care_action_call(self, case, post):
        return case._portal_request_call(
            post.get("phone"),
            self._date(post, "day"),
            self._number(post, "hour_from", int),
            self._number(post, "hour_to", int),
        )

    def _care_action_time(self, case, post):
        return case._portal_ask_time(self._date(post, "date"), post.get("late_reason"))

    def _care_action_plan(self, case, post):
        return case._portal_propose_plan(
            self._number(post, "count", int),
            self._date(post, "first_date"),
            post.get("late_reason"),
        )

    def _care_action_problem(self, case, post):
        move = request.env["account.move"].sudo().browse(self._number(post, "move_id", int))
        return case._portal_report_problem(move.exists(), post.get("reason"), post.get("message"))

    def _care_action_situation(self, case, post):
        return case._portal_situation_changed(post.get("category"))

    # ------------------------------------------------------------------ agreements
    @http.route(
        "/my/payment-care/agreement/<int:agreement_id>", type="http", auth="public", website=True
    )
    def portal_agreement(
        self, agreement_id, access_token=None, report_type=None, download=False, **kw
    ):
        if self._is_internal():
            return self._backoffice("debtor.care.agreement", agreement_id)
        try:
            agreement = self._care_record("debtor.care.agreement", agreement_id, access_token)
        except NotFound:
            return self._link_closed()
        if report_type == "pdf" and not request.env["debtor.care.dunning"]._can_render_pdf():
            report_type = "html"  # no wkhtmltopdf here: the same document as a web page
        if report_type in ("pdf", "html"):
            return self._show_report(
                agreement, report_type, "debtor_care.action_report_agreement", download=download
            )
        return request.render(
            "debtor_care.portal_agreement_page",
            {
                "page_name": "payment_care",
                "page_lang": self._page_lang(),
                "agreement": agreement,
                "access_token": access_token,
                "error": self._pop_flash(agreement).get("error"),
                "autopay_tokens": agreement._autopay_tokens(),
                "can_save_methods": not request.env.user._is_public(),
            },
        )

    @http.route(
        "/my/payment-care/agreement/<int:agreement_id>/accept",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_agreement_accept(
        self, agreement_id, access_token=None, name=None, confirm=None, **kw
    ):
        if self._is_internal():
            return self._backoffice("debtor.care.agreement", agreement_id)
        agreement = self._care_record("debtor.care.agreement", agreement_id, access_token)
        query = {"access_token": access_token} if access_token else {}
        try:
            if agreement.case_id.state not in ("open", "paused", False):
                raise UserError(request.env._("This plan cannot be accepted (any more)."))
            if agreement.state != "proposed":
                raise UserError(request.env._("This plan cannot be accepted (any more)."))
            if not confirm:
                raise UserError(request.env._("Please confirm that you accept the plan."))
            with request.env.cr.savepoint():
                agreement._accept("portal", (name or "")[:120], ip=request.httprequest.remote_addr)
        except UserError as error:
            self._flash(record=f"{agreement._name},{agreement.id}", error=str(error.args[0]))
        return request.redirect(f"/my/payment-care/agreement/{agreement.id}?{url_encode(query)}")

    @http.route(
        [
            "/my/payment-care/agreement/<int:agreement_id>/autopay",
            "/my/payment-care/agreement/<int:agreement_id>/autopay/<string:withdraw>",
        ],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_agreement_autopay(
        self, agreement_id, withdraw=None, access_token=None, token_id=None, name=None, **post
    ):
        """The customer's consent to have the instalments charged from a saved payment
        method, or its withdrawal (at any time)."""
        if self._is_internal():
            return self._backoffice("debtor.care.agreement", agreement_id)
        agreement = self._care_record("debtor.care.agreement", agreement_id, access_token)
        query = {"access_token": access_token} if access_token else {}
        record = f"{agreement._name},{agreement.id}"
        try:
            with request.env.cr.savepoint():
                if withdraw == "withdraw":
                    agreement._autopay_withdraw(agreement.partner_id.name)
                elif withdraw:
                    raise NotFound()
                else:
                    if not post.get("confirm"):
                        raise UserError(
                            request.env._("Please confirm that the instalments may be collected.")
                        )
                    token = agreement._autopay_tokens().browse(
                        int(token_id) if (token_id or "").isdigit() else 0
                    )
                    agreement._autopay_consent(token.exists(), name)
        except UserError as error:
            self._flash(record=record, error=str(error.args[0]))
        return request.redirect(f"/my/payment-care/agreement/{agreement.id}?{url_encode(query)}")

    # ------------------------------------------------------------------ FAQ
    @http.route("/payment-care/faq", type="http", auth="public", website=True)
    def portal_payment_care_faq(self, **kw):
        company = request.env.company
        entries = (
            request.env["debtor.care.faq"]
            .sudo()
            .search(["|", ("company_id", "=", False), ("company_id", "=", company.id)])
        )
        return request.render(
            "debtor_care.portal_faq_page",
            {"entries": entries, "page_name": "payment_care", "page_lang": self._page_lang()},
        )
