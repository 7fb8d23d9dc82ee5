from werkzeug.urls import url_encode

from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import AccessError, MissingError
from odoo.http import request


class DebtorCarePortal(CustomerPortal):
    @http.route("/my/payment-care/<int:case_id>", type="http", auth="public")
    def portal_payment_care(self, case_id, access_token=None, **kw):
        """Link of the reminders. Until the payment care page exists it leads the
        customer to Odoo's overdue invoices page (through the login when needed)."""
        try:
            self._document_check_access("debtor.care.case", case_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        target = "/my/invoices/overdue"
        if request.env.user._is_public():
            return request.redirect("/web/login?" + url_encode({"redirect": target}))
        return request.redirect(target)
