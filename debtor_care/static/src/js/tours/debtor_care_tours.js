import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("debtor_care_open_payment_care", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Invoicing",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        {
            content: "Open the Payment Care menu",
            trigger: ".o_menu_sections [data-menu-xmlid='debtor_care.menu_debtor_care_root']",
            run: "click",
        },
        {
            content: "Open Care Cases",
            trigger: ".dropdown-item[data-menu-xmlid='debtor_care.debtor_care_case_menu']",
            run: "click",
        },
        {
            content: "The care cases list is shown",
            trigger: ".o_breadcrumb:contains('Care Cases')",
        },
    ],
});

function inDays(days) {
    const date = new Date();
    date.setDate(date.getDate() + days);
    return date.toISOString().slice(0, 10);
}

registry.category("web_tour.tours").add("debtor_care_portal_call", {
    steps: () => [
        {
            content: "The open invoices are listed",
            trigger: ".o_debtor_care_invoices tbody tr",
        },
        {
            content: "Phone number",
            trigger: ".o_debtor_care_form_call input[name='phone']",
            run: "edit +49 30 7654321",
        },
        {
            content: "Day of the call",
            trigger: ".o_debtor_care_form_call input[name='day']",
            run() {
                // a date input takes ISO values; set it directly
                this.anchor.value = inDays(3);
            },
        },
        {
            content: "Ask for the call",
            trigger: ".o_debtor_care_form_call button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The page thanks the customer and says what happens now",
            trigger: ".o_debtor_care_done",
        },
    ],
});
