/** @odoo-module **/

import publicWidget from "@web/legacy/js/public/public_widget";
import { rpc } from "@web/core/network/rpc";

/**
 * Live schedule preview next to "Propose a payment plan": the server computes it with
 * the same limits and rounding as the real proposal, so what the customer sees is what
 * they get. Rendered with textContent only (no HTML from the server).
 */
publicWidget.registry.DebtorCarePlanPreview = publicWidget.Widget.extend({
    selector: ".o_debtor_care_form_plan",
    events: {
        "input input": "_onInput",
        "change input": "_onInput",
    },

    start() {
        this._refresh();
        return this._super(...arguments);
    },

    _onInput() {
        clearTimeout(this._timer);
        this._timer = setTimeout(() => this._refresh(), 250);
    },

    async _refresh() {
        const form = this.el;
        const preview = form.querySelector(".o_debtor_care_plan_preview");
        const count = form.querySelector("input[name='count']").value;
        const firstDate = form.querySelector("input[name='first_date']").value;
        if (!preview || !count || !firstDate) {
            preview?.replaceChildren();
            return;
        }
        const result = await rpc(form.dataset.previewUrl, {
            count,
            first_date: firstDate,
            access_token: form.dataset.accessToken || null,
        });
        preview.replaceChildren(this._render(result));
    },

    _render(result) {
        if (result.error) {
            const error = document.createElement("p");
            error.className = "text-danger small o_debtor_care_plan_error";
            error.textContent = result.error;
            return error;
        }
        const table = document.createElement("table");
        table.className = "table table-sm small mb-2 o_debtor_care_plan_lines";
        const body = table.createTBody();
        for (const line of result.lines) {
            const row = body.insertRow();
            row.insertCell().textContent = line.date;
            const amount = row.insertCell();
            amount.className = "text-end";
            amount.textContent = line.amount;
        }
        return table;
    },
});
