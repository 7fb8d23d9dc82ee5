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
